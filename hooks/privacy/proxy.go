package privacy

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"
)

// NewSettingsCommand returns the "settings" command with the settings a
// deployment must make before it serves the public:
//
//	homeward settings trusted-proxy                   show the headers trusted now
//	homeward settings trusted-proxy X-Forwarded-For   trust the proxy's header
//	homeward settings trusted-proxy --none            trust none (no proxy in front)
//
// Behind a reverse proxy every request comes from the proxy's address, so
// without a trusted header all reporters share one rate limit. The real
// client address is then read per request (core.RequestEvent.RealIP) for
// the rate limiters only; it is never stored or logged (LogIP is off).
// Trust a header only when nothing but the proxy can reach the server:
// a client talking to the server directly could write the header itself.
func NewSettingsCommand(app core.App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "settings",
		Short: "Change deployment settings without the dashboard",
	}
	var none bool
	proxy := &cobra.Command{
		Use:   "trusted-proxy [HEADER...]",
		Short: "Set the proxy headers that carry the client address (restart the server after a change)",
		Example: "settings trusted-proxy X-Forwarded-For\n" +
			"settings trusted-proxy --none",
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := app.RunAllMigrations(); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if !none && len(args) == 0 {
				printTrustedProxy(out, app.Settings())
				return nil
			}
			if none && len(args) > 0 {
				return fmt.Errorf("give header names or --none, not both")
			}
			headers := make([]string, 0, len(args))
			for _, h := range args {
				if h = strings.TrimSpace(h); h == "" || strings.ContainsAny(h, " :,") {
					return fmt.Errorf("%q is not a header name", h)
				}
				headers = append(headers, http.CanonicalHeaderKey(h))
			}
			s := app.Settings()
			s.TrustedProxy.Headers = headers
			// The proxy appends the address it saw last; anything to its left
			// came from the client and may be forged.
			s.TrustedProxy.UseLeftmostIP = false
			if err := app.Save(s); err != nil {
				return fmt.Errorf("save settings: %w", err)
			}
			printTrustedProxy(out, s)
			fmt.Fprintln(out, "Restart the server for a running one to use it.")
			return nil
		},
	}
	proxy.Flags().BoolVar(&none, "none", false, "trust no header: the server is reached directly")
	cmd.AddCommand(proxy)
	return cmd
}

func printTrustedProxy(out io.Writer, s *core.Settings) {
	if len(s.TrustedProxy.Headers) == 0 {
		fmt.Fprintln(out, "Trusted proxy headers: none (the client address is the connection's).")
		return
	}
	fmt.Fprintf(out, "Trusted proxy headers: %s (rightmost address).\n", strings.Join(s.TrustedProxy.Headers, ", "))
}
