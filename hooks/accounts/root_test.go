package accounts_test

import (
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"homeward/hooks/accounts"
	_ "homeward/pb_migrations"
)

func newRoot(app core.App) *cobra.Command {
	root := &cobra.Command{Use: "homeward", SilenceErrors: true}
	root.AddCommand(accounts.NewCommands(app)...)
	return root
}
