// Command atl signs you into Atlassian Cloud with OAuth 2.0 (3LO) and serves
// access tokens to you and your scripts.
package main

import (
	"context"
	"os"

	"github.com/atl-cli/atl/cmd/atl/internal/cli"
)

func main() {
	env := cli.TakeEnvironment() // first: no child may inherit a secret
	ctx := newInterruptContext(context.Background())
	code := run(ctx, cli.NewSystemFactory(env), os.Args[1:])
	ctx.Stop()
	os.Exit(code)
}

// run runs atl with args and returns its exit code; errors are reported
// on the factory's stderr.
func run(ctx context.Context, f *cli.Factory, args []string) int {
	root := newRootCmd(f)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	return cli.Report(err, f.IO.ErrOut, cli.Invocation{Command: cmd.Name(), Profile: f.Profile})
}
