// Command atl signs you into Atlassian Cloud with OAuth 2.0 (3LO) and serves
// access tokens to you and your scripts.
package main

import (
	"context"
	"os"
)

func main() {
	env := takeEnvironment() // first: no child may inherit a secret
	ctx := newInterruptContext(context.Background())
	code := run(ctx, newSystemFactory(env), os.Args[1:])
	ctx.Stop()
	os.Exit(code)
}

// run runs atl with args and returns its exit code; errors are reported
// on the factory's stderr.
func run(ctx context.Context, f *factory, args []string) int {
	g := &globalOptions{}
	root := newRootCmd(f, g)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	return report(err, f.IO.ErrOut, invocation{command: cmd.Name(), profile: g.Profile})
}
