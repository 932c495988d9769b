// Package accounts holds the commands that create a deployment's first
// records without the dashboard: an embassy, its staff, volunteers.
//
//	homeward embassy add SLUG --name NAME --country COUNTRY [--active] [contacts]
//	homeward staff add EMAIL --embassy SLUG [--name NAME]
//	homeward volunteer add EMAIL [--name NAME] [--organisation ORG]
//
// Each runs Homeward's migrations first, so it works on a fresh data dir
// before the first serve, and saves through app.Save: the collections'
// own validation and every record hook apply, as for a dashboard edit.
package accounts

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"homeward/internal/fielderr"
)

// Account errors, checked with errors.Is by the tests.
var (
	ErrExists         = errors.New("already exists")
	ErrUnknownEmbassy = errors.New("no embassy with that slug")
)

// NewCommands returns the top-level "embassy", "staff" and "volunteer"
// commands, each with its "add" subcommand.
func NewCommands(app core.App) []*cobra.Command {
	return []*cobra.Command{
		group("embassy", "Manage embassies", embassyAddCommand(app)),
		group("staff", "Manage embassy staff accounts", staffAddCommand(app)),
		group("volunteer", "Manage field volunteer accounts", volunteerAddCommand(app)),
	}
}

func group(use, short string, sub ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short}
	cmd.AddCommand(sub...)
	return cmd
}

// embassyAddCommand creates an embassy. It stays hidden from the public
// unless --active is given: contacts reach people in danger, so someone
// should check them in the dashboard before they are shown.
func embassyAddCommand(app core.App) *cobra.Command {
	var e struct {
		name, country, hotline, messaging, email, address, hours string
		languages                                                []string
		active, clearUntilKeyed                                  bool
	}
	cmd := &cobra.Command{
		Use:          "add SLUG",
		Short:        "Add an embassy; its page is /e/SLUG",
		Example:      `embassy add indonesia-phnom-penh --name "Embassy of Indonesia in Phnom Penh" --country Indonesia --languages id,en`,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true, // a refused record is not a usage error
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := app.RunAllMigrations(); err != nil {
				return err
			}
			col, err := app.FindCollectionByNameOrId("embassies")
			if err != nil {
				return err
			}
			slug := args[0]
			if _, err := app.FindFirstRecordByData(col, "slug", slug); err == nil {
				return fmt.Errorf("embassy %s: %w", slug, ErrExists)
			}
			rec := core.NewRecord(col)
			rec.Load(map[string]any{
				"slug":      slug,
				"name":      e.name,
				"country":   e.country,
				"hotline":   e.hotline,
				"messaging": e.messaging,
				"email":     e.email,
				"address":   e.address,
				"hours":     e.hours,
				"languages": e.languages,
				"active":    e.active,
				// Reports wait on the phones until its staff make its
				// key, unless asked otherwise (hooks/sealing).
				"clear_until_keyed": e.clearUntilKeyed,
			})
			if err := app.Save(rec); err != nil {
				return fmt.Errorf("save embassy %s: %w", slug, fielderr.Wrap(err))
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Embassy %s added (id %s).\n", slug, rec.Id)
			if !e.active {
				fmt.Fprintln(out, "It is not shown to the public yet: check its contacts in /_/ (embassies) and tick active.")
			}
			if e.clearUntilKeyed {
				fmt.Fprintln(out, "Until a member of its staff makes its sealing key (staff console, Keys), its reports are stored in clear.")
			} else {
				fmt.Fprintln(out, "It receives reports once a member of its staff makes its sealing key (staff console, Keys); until then they wait on the phones.")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&e.name, "name", "", "name shown to reporters (required)")
	f.StringVar(&e.country, "country", "", "the country whose nationals it serves (required)")
	f.StringVar(&e.hotline, "hotline", "", "emergency phone in international form; verify it: people will call it")
	f.StringVar(&e.messaging, "messaging", "", "messaging app contact as shown to reporters")
	f.StringVar(&e.email, "email", "", "contact e-mail")
	f.StringVar(&e.address, "address", "", "street address")
	f.StringVar(&e.hours, "hours", "", "opening hours as reporters should read them")
	f.StringSliceVar(&e.languages, "languages", nil, "languages the staff answer in: en,id,zh,vi,th,my,km,fil")
	f.BoolVar(&e.active, "active", false, "show it to the public at once")
	f.BoolVar(&e.clearUntilKeyed, "clear-until-keyed", false, "take reports in clear until its staff make its sealing key (stored readable on the server)")
	return cmd
}

// staffAddCommand creates a staff account of one embassy with a new random
// password, printed once.
func staffAddCommand(app core.App) *cobra.Command {
	var embassy, name string
	cmd := &cobra.Command{
		Use:          "add EMAIL",
		Short:        "Add a staff account to an embassy; prints its new password once",
		Example:      `staff add consul@embassy.example --embassy indonesia-phnom-penh --name "Duty officer"`,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := app.RunAllMigrations(); err != nil {
				return err
			}
			emb, err := app.FindFirstRecordByData("embassies", "slug", embassy)
			if err != nil {
				return fmt.Errorf("embassy %q: %w", embassy, ErrUnknownEmbassy)
			}
			return addAccount(app, cmd.OutOrStdout(), "staff", args[0], map[string]any{
				"name":    name,
				"embassy": emb.Id,
			}, "Sign in at /staff.")
		},
	}
	cmd.Flags().StringVar(&embassy, "embassy", "", "the embassy's slug (required)")
	cmd.Flags().StringVar(&name, "name", "", "the person's name as colleagues see it")
	cmd.MarkFlagRequired("embassy")
	return cmd
}

// volunteerAddCommand creates an approved volunteer account with a new
// random password, printed once. The operator running it vouches for the
// volunteer, which is what approval means.
func volunteerAddCommand(app core.App) *cobra.Command {
	var name, organisation string
	var approved bool
	cmd := &cobra.Command{
		Use:          "add EMAIL",
		Short:        "Add a field volunteer account; prints its new password once",
		Example:      `volunteer add field1@shelter.example --name "Field team 1" --organisation "Shelter name"`,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := app.RunAllMigrations(); err != nil {
				return err
			}
			next := "Sign in at /volunteer."
			if !approved {
				next = "It cannot sync until a superuser ticks approved in /_/ (volunteers)."
			}
			return addAccount(app, cmd.OutOrStdout(), "volunteers", args[0], map[string]any{
				"name":         name,
				"organisation": organisation,
				"approved":     approved,
			}, next)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the volunteer's name")
	cmd.Flags().StringVar(&organisation, "organisation", "", "shelter or NGO the volunteer works with")
	cmd.Flags().BoolVar(&approved, "approved", true, "allow syncing at once (--approved=false leaves it to a superuser)")
	return cmd
}

// addAccount creates an account of an auth collection. An existing e-mail
// is refused rather than updated, so a typo never resets someone's
// password; the new password goes to out only, never to a log.
func addAccount(app core.App, out io.Writer, collection, email string, data map[string]any, next string) error {
	col, err := app.FindCollectionByNameOrId(collection)
	if err != nil {
		return err
	}
	if _, err := app.FindAuthRecordByEmail(col, email); err == nil {
		return fmt.Errorf("%s account %s: %w", collection, email, ErrExists)
	}
	rec := core.NewRecord(col)
	rec.Load(data)
	rec.SetEmail(email)
	rec.SetVerified(true) // the operator vouches for the address
	password := rand.Text()
	rec.SetPassword(password)
	if err := app.Save(rec); err != nil {
		return fmt.Errorf("save %s account %s: %w", collection, email, fielderr.Wrap(err))
	}
	fmt.Fprintf(out, "Account %s added to %s.\nPassword (shown once, hand it over privately): %s\n%s\n", email, collection, password, next)
	return nil
}
