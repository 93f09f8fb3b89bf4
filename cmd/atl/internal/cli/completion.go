package cli

import (
	"context"
	"slices"
	"strings"

	"github.com/atl-cli/atl/auth"
	"github.com/spf13/cobra"
)

// Shell completion reads only the config directory: no keychain, no
// network, so that pressing Tab never waits for either.

// completionOptions are Session options that cannot reach the keychain
// or the network: ATL_TOKEN and ATL_SITE are ignored.
func (f *Factory) completionOptions(profile string) auth.Options {
	o := f.Options(profile)
	o.Token, o.Site, o.Tightened = "", "", nil
	return o
}

// CompleteProfiles completes the names of the stored logins.
func CompleteProfiles(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		names, err := f.Profiles(f.completionOptions(""))
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return matching(names, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteSites completes the names of the sites the login reaches, as
// last listed.
func CompleteSites(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		s, err := auth.OpenWith(f.completionOptions(f.Profile))
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		info, err := s.Info(context.Background())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		for _, site := range append([]auth.Site{info.Site}, info.Sites...) {
			if site.Name != "" && !slices.Contains(names, site.Name) {
				names = append(names, site.Name)
			}
		}
		return matching(names, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

func matching(names []string, prefix string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(strings.ToLower(n), strings.ToLower(prefix)) {
			out = append(out, n)
		}
	}
	return out
}
