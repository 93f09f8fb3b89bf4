package whoami

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/internal/termtext"
)

// profileJSON is one stored login as `atl whoami --all --json` lists it.
type profileJSON struct {
	Profile   string      `json:"profile"`
	Current   bool        `json:"current"`
	AccountID string      `json:"account_id,omitempty"`
	Name      string      `json:"name,omitempty"`
	Email     string      `json:"email,omitempty"`
	Site      siteRefJSON `json:"site"`
	ExpiresAt string      `json:"expires_at,omitempty"`
	Valid     bool        `json:"token_valid"`
	Dead      string      `json:"dead,omitempty"`
	Storage   string      `json:"storage,omitempty"`
	Error     string      `json:"error,omitempty"`
}

// runAll describes every stored login from its metadata alone, as a
// table or JSON.
func runAll(ctx context.Context, opts *Options) error {
	names, err := opts.Profiles()
	if err != nil {
		return err
	}
	all := []profileJSON{}
	for _, name := range names {
		all = append(all, describe(ctx, opts, name))
	}
	if opts.JSON {
		return cli.PrintJSON(opts.IO.Out, opts.IO.OutTerminal, all)
	}
	if len(all) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "No stored logins: run `atl login`.")
		return nil
	}
	return printTable(opts, all)
}

// describe is profile's stored login, from its metadata: asking no one,
// ignoring ATL_TOKEN. What goes wrong is in its Error.
func describe(ctx context.Context, opts *Options, profile string) profileJSON {
	p := profileJSON{Profile: profile, Current: profile == opts.Profile}
	s, err := opts.SessionFor(profile, func(o *auth.Options) { o.Token = "" })
	var info *auth.Info
	if err == nil {
		info, err = s.Info(ctx)
	}
	if err != nil {
		p.Error = cli.OneLine(err.Error())
		return p
	}
	p.AccountID, p.Name, p.Email = info.User.AccountID, info.User.Name, info.User.Email
	p.Site = siteRefJSON{ID: info.Site.ID, URL: info.Site.URL, Name: info.Site.Name}
	p.Storage, p.Dead = info.Storage, info.Dead
	if !info.Expiry.IsZero() {
		p.ExpiresAt = info.Expiry.UTC().Format(time.RFC3339)
		p.Valid = info.Dead == "" && info.Expiry.After(opts.Now())
	}
	return p
}

// printTable lists the logins for a person, the current one marked with
// *, server text cleaned.
func printTable(opts *Options, all []profileJSON) error {
	c := func(s string) string { return termtext.Clean(s, 200) }
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	for _, p := range all {
		mark := " "
		if p.Current {
			mark = "*"
		}
		who := cli.DescribeUser(&auth.User{Name: p.Name, Email: p.Email})
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\t%s\n", mark, c(p.Profile), c(who), c(p.Site.URL), state(opts, &p), c(p.Storage))
	}
	return tw.Flush()
}

// state says whether p's login works, for a person.
func state(opts *Options, p *profileJSON) string {
	switch {
	case p.Error != "":
		return p.Error
	case p.Dead != "":
		return "stopped working: run `" + cli.LoginCommand(p.Profile) + "`"
	case p.Valid:
		expires, _ := time.Parse(time.RFC3339, p.ExpiresAt)
		return "token valid until " + opts.LocalTime(expires).Format(time.RFC3339)
	}
	return "token expired (refreshed when next used)"
}
