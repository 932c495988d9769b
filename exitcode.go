package main

import (
	"os"
	"sync/atomic"

	"github.com/spf13/cobra"
)

// watchFailures notes any failure of the command line that root runs:
// an unknown command, a flag or argument it refuses, or an error of a
// command's run or its hooks. PocketBase's Execute prints such an error
// but drops it, so the process would exit 0 (pocketbase/pocketbase#5399,
// #6996: its maintainers keep it so, for the graceful shutdown after
// every command). main exits 1 after that shutdown when failed says so,
// and a script of the first accounts (README.md) stops at a refused step.
//
// Call it once every command is added, before Execute.
func watchFailures(root *cobra.Command) (failed func() bool) {
	var failure atomic.Bool
	note := func(err error) error {
		if err != nil {
			failure.Store(true)
		}
		return err
	}
	// An unknown command: cobra finds the command as Execute will, with
	// its help and completion commands added; the shell's completion
	// requests are its own and answer nothing to fail.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd(os.Args[1:]...)
	if len(os.Args) < 2 || (os.Args[1] != cobra.ShellCompRequestCmd && os.Args[1] != cobra.ShellCompNoDescRequestCmd) {
		_, _, err := root.Find(os.Args[1:])
		note(err)
	}
	flagError := root.FlagErrorFunc()
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return note(flagError(c, err)) })
	var watch func(*cobra.Command)
	watch = func(c *cobra.Command) {
		if c.Args != nil {
			args := c.Args
			c.Args = func(c *cobra.Command, a []string) error { return note(args(c, a)) }
		}
		for _, run := range []*func(*cobra.Command, []string) error{
			&c.PersistentPreRunE, &c.PreRunE, &c.RunE, &c.PostRunE, &c.PersistentPostRunE,
		} {
			if f := *run; f != nil {
				*run = func(c *cobra.Command, a []string) error { return note(f(c, a)) }
			}
		}
		for _, sub := range c.Commands() {
			watch(sub)
		}
	}
	watch(root)
	return failure.Load
}
