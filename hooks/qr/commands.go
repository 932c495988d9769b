package qr

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// NewCommand returns the "qr" command with its key subcommands:
//
//	homeward qr keys            list the signing keys
//	homeward qr rotate-key      make a new key that signs from now on
//	homeward qr retire-key KID  stop trusting a key: its links turn to warnings
//
// A running server picks up the change on its next request.
func NewCommand(app core.App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "qr",
		Short: "Manage the keys that sign QR links",
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:          "keys",
			Short:        "List the QR signing keys",
			Args:         cobra.NoArgs,
			SilenceUsage: true, // a failed key operation is not a usage error
			RunE: func(cmd *cobra.Command, args []string) error {
				return listKeys(cmd, KeyringFor(app))
			},
		},
		&cobra.Command{
			Use:          "rotate-key",
			Short:        "Make a new signing key; older keys still verify until retired",
			Args:         cobra.NoArgs,
			SilenceUsage: true, // a failed key operation is not a usage error
			RunE: func(cmd *cobra.Command, args []string) error {
				key, err := KeyringFor(app).Rotate()
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "New signing key %s. Links signed before keep verifying until you retire their key.\n", key.Kid)
				return nil
			},
		},
		&cobra.Command{
			Use:          "retire-key KID",
			Short:        "Retire a signing key: the links it signed stop verifying",
			Args:         cobra.ExactArgs(1),
			SilenceUsage: true,
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := KeyringFor(app).Retire(args[0]); err != nil {
					return fmt.Errorf("retire key %s: %w", args[0], err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Key %s retired. Codes it signed now show a warning; print new ones.\n", args[0])
				return nil
			},
		},
	)
	return cmd
}

func listKeys(cmd *cobra.Command, ring *Keyring) error {
	if _, err := ring.Current(); err != nil {
		return err
	}
	keys, err := ring.List()
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KID\tCREATED\tSTATE")
	for _, k := range keys {
		state := "verifies"
		switch {
		case k.Current:
			state = "signs and verifies"
		case !k.Retired.IsZero():
			state = "retired " + k.Retired.Format(time.DateOnly)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", k.Kid, k.Created.Format(time.DateTime), state)
	}
	fmt.Fprintf(w, "\nKey file: %s\n", ring.Path())
	return w.Flush()
}
