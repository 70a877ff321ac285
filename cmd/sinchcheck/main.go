// Command sinchcheck tries Sinch's real service step by step with this SDK
// and prints where it stops, never printing a secret. A user with a Sinch
// account runs it to tell what of the wire is right and what must change
// (docs/realwire.md):
//
//	export SINCH_APP_SECRET='<application secret from the Sinch dashboard>'
//	go run ./cmd/sinchcheck -key <application key> -user alice
//	go run ./cmd/sinchcheck -key <application key> -user alice -call bob
//	go run ./cmd/sinchcheck -key <application key> -user alice -call +4612345678 -cli +4687654321
//
// The steps: sign a registration token (package auth) with the secret read
// from the environment variable that -secret-env names (never from a flag);
// register at -host (default ocra.api.sinch.com) and wait until the client
// has started, its realtime channel subscribed; with -call, call a user id
// or a phone number (-cli is then the caller's number), wait until the call
// is established, hold it for -hold and hang up; unregister. Each step waits
// at most -timeout (default 30s).
//
// Every line names its step and shows one HTTP exchange (method, path and
// status; never a header, a body or a query string) or one event the SDK
// reported (OnClientStarted, Progressing, Ringing, Answered, Established,
// Ended with its end cause). The first failure ends the run with a line
// "look at:" that says where the problem lies: the secret or the user id for
// 40103, the clock for 40101 and 40102, the host for DNS and TLS errors, and
// for a 404 the row of the REST table (internal/ocra/routes.go) whose path
// is designed and must be captured. The exit status is 0 when every step
// passed, 1 when one failed, 2 for a bad command line.
//
// With -embedded, the same steps run against a fake Ocra server (package
// ocratest) started in the process: -call bob also starts a second user bob
// who answers, so that the call is established and hung up, and -call
// +4612345678 calls a phone that answers with a tone. CI runs
// "go run ./cmd/sinchcheck -embedded -call bob".
//
// -debug adds the SDK's logs (and the embedded server's) at Debug level to
// standard error; they hold no secret either.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"time"

	"github.com/sinch-rtc-go/sinch"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, env{args: os.Args[1:], getenv: os.Getenv, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		os.Exit(1)
	}
}

// env is what run gets from the process.
type env struct {
	args           []string
	getenv         func(string) string
	stdout, stderr io.Writer
	// wrap, when set, wraps the transport under every HTTP client of the
	// run (tests watch the raw traffic, or make it fail).
	wrap func(http.RoundTripper) http.RoundTripper
}

// errUsage is the error of a bad command line, already explained on stderr.
var errUsage = errors.New("bad command line")

// errFailed is the error of a failed step, already reported on stdout.
var errFailed = errors.New("a step failed")

// config is the command line.
type config struct {
	key       string
	secretEnv string
	user      string
	host      string
	callee    string // user id, or a phone number starting with "+"
	cli       string
	timeout   time.Duration
	hold      time.Duration
	embedded  bool
	debug     bool
}

// envName is what a -secret-env value must look like to be printed: an
// environment variable's conventional name. Anything else might be the
// secret itself, given by mistake.
var envName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,63}$`)

func parseFlags(args []string, stderr io.Writer) (config, error) {
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "secret" || name == "app-secret") {
			fmt.Fprintln(stderr, "sinchcheck: there is no -secret flag, so that the secret stays out of shell "+
				"history and process lists: put it in an environment variable and name that with -secret-env")
			return config{}, errUsage
		}
	}
	var c config
	fs := flag.NewFlagSet("sinchcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.key, "key", "", "application key from the Sinch dashboard (required, except with -embedded)")
	fs.StringVar(&c.secretEnv, "secret-env", "SINCH_APP_SECRET", "name of the environment variable that holds the application secret")
	fs.StringVar(&c.user, "user", "alice", "user id to register as")
	fs.StringVar(&c.host, "host", sinch.DefaultEnvironmentHost, "Ocra host: host[:port], https://host[:port], or http://host:port for a local test server")
	fs.StringVar(&c.callee, "call", "", "after registering, call this user id, or this phone number (+ and digits)")
	fs.StringVar(&c.cli, "cli", "", "caller's phone number (E.164) for a phone call")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "how long each step may take")
	fs.DurationVar(&c.hold, "hold", 2*time.Second, "how long an established call is held before hanging up")
	fs.BoolVar(&c.embedded, "embedded", false, "run against a fake Ocra server in this process (package ocratest)")
	fs.BoolVar(&c.debug, "debug", false, "log the SDK at Debug level to standard error")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sinchcheck -key <appKey> [-secret-env SINCH_APP_SECRET] [-user alice] [-host ocra.api.sinch.com]")
		fmt.Fprintln(stderr, "                  [-call bob|+4612345678 [-cli +4687654321]] [-timeout 30s] [-embedded] [-debug]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, err
		}
		return config{}, errUsage
	}
	var problem string
	switch {
	case fs.NArg() > 0:
		problem = "unexpected arguments after the flags"
	case c.key == "" && !c.embedded:
		problem = "-key is required: the application key from the Sinch dashboard"
	case c.secretEnv == "":
		problem = "-secret-env is empty: name the environment variable that holds the secret"
	case c.user == "":
		problem = "-user is empty"
	case c.timeout <= 0 || c.hold < 0:
		problem = "-timeout must be positive and -hold not negative"
	case isPhone(c.callee) && c.cli == "" && !c.embedded:
		problem = "-call " + c.callee + " is a phone number: set -cli to your E.164 number, the caller id"
	}
	if problem != "" {
		fmt.Fprintln(stderr, "sinchcheck:", problem)
		return config{}, errUsage
	}
	return c, nil
}

// isPhone reports whether a -call value is a phone number.
func isPhone(callee string) bool { return strings.HasPrefix(callee, "+") }

// secretName is how the report names the secret's environment variable.
func (c config) secretName() string {
	if envName.MatchString(c.secretEnv) {
		return "$" + c.secretEnv
	}
	return "the environment variable that -secret-env names"
}

// newLogger is the logger of the SDK's clients and of the embedded server:
// Debug to stderr with -debug, else nowhere.
func (c config) newLogger(stderr io.Writer) *slog.Logger {
	if !c.debug {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// run parses the command line and runs the steps. A failed step is
// errFailed, reported on stdout; a bad command line is errUsage or
// flag.ErrHelp, explained on stderr.
func run(ctx context.Context, e env) error {
	cfg, err := parseFlags(e.args, e.stderr)
	if err != nil {
		return err
	}
	out := &printer{w: e.stdout}
	log := cfg.newLogger(e.stderr)
	base := http.DefaultTransport.(*http.Transport).Clone()
	defer base.CloseIdleConnections()
	var transport http.RoundTripper = base
	if e.wrap != nil {
		transport = e.wrap(base)
	}
	secret := e.getenv(cfg.secretEnv)
	secretFrom := "from " + cfg.secretName()

	if cfg.embedded {
		if secret == "" {
			secretFrom = "the embedded server made up"
		}
		emb, err := startEmbedded(ctx, &cfg, secret, log, transport, out)
		if err != nil {
			out.raw("FAIL embedded: %v", err)
			return errFailed
		}
		defer emb.close()
		secret = emb.secret
	} else if secret == "" {
		out.raw("FAIL secret: %s is empty or unset", cfg.secretName())
		out.raw("look at: export the application secret from the Sinch dashboard into %s (never pass it as a flag)", cfg.secretName())
		return errFailed
	}
	c := &check{cfg: cfg, secret: secret, secretFrom: secretFrom, out: out, log: log, transport: transport}
	return c.run(ctx)
}
