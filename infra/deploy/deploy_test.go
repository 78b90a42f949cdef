// Package deploy_test keeps the deployment files in this directory honest:
// the NATS configurations parse and describe a JetStream cluster, their
// permissions let Helpdesk run and keep the auditor read-only, and every
// HELPDESK_* variable the systemd and Kubernetes files set is one the binary
// reads.
package deploy_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.yaml.in/yaml/v4"

	"helpdesk/contracts/subjects"
	"helpdesk/infra/auditlog"
	"helpdesk/infra/eventlog"
	"helpdesk/infra/launcher"
	"helpdesk/infra/sqlstore"
	"helpdesk/infra/tlstest"
)

var nodes = []string{"nats-1", "nats-2", "nats-3"}

// passwords are the NATS passwords accounts.conf reads from the environment.
var passwords = map[string]string{
	"NATS_HELPDESK_PASSWORD": "helpdesk-Passw0rd",
	"NATS_AUDITOR_PASSWORD":  "auditor-Passw0rd",
	"NATS_OPERATOR_PASSWORD": "operator-Passw0rd",
	"NATS_SYS_PASSWORD":      "sys-Passw0rd",
}

// natsDir copies nats/ to a temporary directory with the TLS file paths
// pointing at certificates of a test CA (the real ones are the operator's),
// sets the password variables, and returns the directory and the CA.
func natsDir(t *testing.T) (string, *tlstest.CA) {
	t.Helper()
	for k, v := range passwords {
		t.Setenv(k, v)
	}
	ca := tlstest.NewCA(t)
	cert, key := ca.Server(t, "nats")
	repl := strings.NewReplacer(
		"/etc/nats/tls/server.pem", cert, "/etc/nats/tls/server-key.pem", key,
		"/etc/nats/tls/route.pem", cert, "/etc/nats/tls/route-key.pem", key,
		"/etc/nats/tls/ca.pem", ca.File,
	)
	dir := t.TempDir()
	files, err := filepath.Glob("nats/*.conf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no NATS configurations: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), []byte(repl.Replace(string(b))), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, ca
}

func TestNATSConfigs_describe_a_JetStream_cluster(t *testing.T) {
	dir, _ := natsDir(t)
	for _, node := range nodes {
		opts, err := server.ProcessConfigFile(filepath.Join(dir, node+".conf"))
		if err != nil {
			t.Fatalf("%s: %v", node, err)
		}
		var routes []string
		for _, r := range opts.Routes {
			routes = append(routes, r.Host)
		}
		sort.Strings(routes)
		var want []string
		for _, other := range nodes {
			if other != node {
				want = append(want, other+":6222")
			}
		}
		checks := []struct {
			what string
			ok   bool
		}{
			{"server_name " + opts.ServerName, opts.ServerName == node},
			{"JetStream on", opts.JetStream},
			{"store_dir set", opts.StoreDir != ""},
			{"limits set", opts.JetStreamMaxMemory > 0 && opts.JetStreamMaxStore > 0},
			{"client port 4222", opts.Port == 4222},
			{"cluster port 6222", opts.Cluster.Port == 6222 && opts.Cluster.Name == "helpdesk"},
			{"monitoring port 8222", opts.HTTPPort == 8222},
			{"routes to the other two nodes " + strings.Join(routes, ","), slices.Equal(routes, want)},
			{"client TLS", opts.TLSConfig != nil && opts.TLSConfig.MinVersion >= tls.VersionTLS12},
			{"route TLS with verification", opts.Cluster.TLSConfig != nil && opts.Cluster.TLSConfig.ClientAuth != 0},
			{"system account SYS", opts.SystemAccount == "SYS"},
			{"no user without a password", opts.NoAuthUser == ""},
		}
		for _, c := range checks {
			if !c.ok {
				t.Errorf("%s: want %s", node, c.what)
			}
		}
		users := map[string]*server.User{}
		for _, u := range opts.Users {
			users[u.Username] = u
		}
		for _, name := range []string{"helpdesk", "auditor", "operator"} {
			u := users[name]
			if u == nil || u.Account == nil || u.Account.Name != "HELPDESK" {
				t.Errorf("%s: user %s of account HELPDESK missing", node, name)
			}
		}
	}
}

// The auditor's permissions name every event stream: NATS wildcards are
// whole tokens, so "EVENTS_*" would match nothing.
func TestNATSPermissions_name_every_event_stream(t *testing.T) {
	b, err := os.ReadFile("nats/accounts.conf")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, svc := range launcher.Services {
		stream := subjects.Stream(svc)
		for _, subj := range []string{"$JS.API.STREAM.INFO." + stream, "$JS.API.CONSUMER.CREATE." + stream + ".>",
			"$JS.API.STREAM.UPDATE." + stream, "$JS.API.STREAM.PURGE." + stream} {
			if !strings.Contains(text, `"`+subj+`"`) {
				t.Errorf("accounts.conf does not name %s", subj)
			}
		}
	}
	for i, line := range strings.Split(text, "\n") {
		if code, _, _ := strings.Cut(line, "#"); strings.Contains(code, "EVENTS_*") {
			t.Errorf(`accounts.conf:%d: "EVENTS_*" is no NATS wildcard: name the streams`, i+1)
		}
	}
}

// TestNATSPermissions_run_Helpdesk boots node 1's configuration as a single
// server (no routes) and runs every service and the gateway as the helpdesk
// user; then it checks what the auditor, helpdesk and operator users may do.
func TestNATSPermissions_run_Helpdesk(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole system")
	}
	dir, ca := natsDir(t)
	opts, err := server.ProcessConfigFile(filepath.Join(dir, "nats-1.conf"))
	if err != nil {
		t.Fatal(err)
	}
	opts.Host, opts.Port, opts.HTTPPort = "127.0.0.1", -1, 0
	opts.Cluster, opts.Routes = server.ClusterOpts{}, nil
	opts.StoreDir = t.TempDir()
	opts.NoLog, opts.NoSigs = true, true
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	connect := func(user string) *nats.Conn {
		t.Helper()
		nc, err := nats.Connect(srv.ClientURL(), nats.RootCAs(ca.File),
			nats.UserInfo(user, passwords["NATS_"+strings.ToUpper(user)+"_PASSWORD"]),
			nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})) // permission violations are expected below
		if err != nil {
			t.Fatalf("connect as %s: %v", user, err)
		}
		t.Cleanup(nc.Close)
		return nc
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	start := func(cfg launcher.PartsConfig) *launcher.Parts {
		t.Helper()
		cfg.Conn, cfg.Logger, cfg.Registry = connect("helpdesk"), logger, launcher.NewRegistry()
		p, err := launcher.StartParts(ctx, cfg)
		if err != nil {
			t.Fatalf("start %v (gateway %v) as the helpdesk user: %v", cfg.Services, cfg.Gateway, err)
		}
		t.Cleanup(func() { _ = p.Stop(context.Background()) })
		return p
	}
	const adminPassword = "Deploy-Test-Passw0rd"
	for _, svc := range launcher.Services {
		cfg := launcher.PartsConfig{Services: []string{svc}}
		if svc == subjects.ServiceIdentity {
			cfg.EnsureAdmin, cfg.AdminPassword = true, adminPassword
			cfg.Auth = launcher.Auth{AdminSetPasswordsFinal: true, AdminPasswordFinal: true}
		} else {
			cfg.DB = sqlstore.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), svc+".db")}
			cfg.IndexDir = t.TempDir()
		}
		start(cfg)
	}
	gw := start(launcher.PartsConfig{Gateway: true, Listen: "127.0.0.1:0"})

	// The gateway reaches every service and a command appends an event.
	if code, body := call(t, gw.URL, "GET", "/readyz", "", nil); code != http.StatusOK {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	code, body := call(t, gw.URL, "POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": adminPassword})
	var login struct {
		AccessToken string `json:"access_token"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &login) != nil || login.AccessToken == "" {
		t.Fatalf("login: %d %s", code, body)
	}
	if code, body := call(t, gw.URL, "POST", "/api/v1/tickets", login.AccessToken, map[string]string{"title": "部署测试"}); code != http.StatusCreated {
		t.Fatalf("open a ticket: %d %s", code, body)
	}

	// The auditor reads every event stream (audit verify walks them all)...
	auditor, err := jetstream.New(connect("auditor"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := auditlog.Verify(ctx, auditor, auditlog.VerifyOptions{})
	if err != nil || rep.Broken != nil || rep.Events == 0 {
		t.Fatalf("audit verify as the auditor: %+v, %v", rep, err)
	}
	// ...and replays them (helpdesk replay).
	f, err := eventlog.ParseFilter(eventlog.Params{})
	if err != nil {
		t.Fatal(err)
	}
	scan, err := eventlog.NewReader(auditor).Open(ctx, f, nil)
	if err != nil {
		t.Fatalf("replay as the auditor: %v", err)
	}
	replayed := 0
	for {
		_, ok, err := scan.Next(ctx)
		if err != nil {
			t.Fatalf("replay as the auditor: %v", err)
		}
		if !ok {
			break
		}
		replayed++
	}
	scan.Close()
	if replayed != rep.Events {
		t.Errorf("replay as the auditor: %d events, audit verify saw %d", replayed, rep.Events)
	}
	// ...and changes nothing.
	ticketStream := subjects.Stream(subjects.ServiceTicket)
	denied := func(who, what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s could %s", who, what)
		}
	}
	short := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 2*time.Second) }
	{
		c, cancel := short()
		_, err := auditor.Publish(c, subjects.Ticket("forged").Subject(), []byte("{}"))
		cancel()
		denied("the auditor", "publish an event", err)
		st, err := auditor.Stream(ctx, ticketStream)
		if err != nil {
			t.Fatalf("stream info as the auditor: %v", err)
		}
		trimmed := st.CachedInfo().Config
		trimmed.MaxAge = 48 * time.Hour // what a stream update could do to the log (at least the duplicate window)
		c, cancel = short()
		_, err = auditor.UpdateStream(c, trimmed)
		cancel()
		denied("the auditor", "update a stream", err)
		c, cancel = short()
		_, err = auditor.KeyValue(c, "helpdesk_secrets")
		if err == nil {
			var kv jetstream.KeyValue
			if kv, err = auditor.KeyValue(c, "helpdesk_secrets"); err == nil {
				_, err = kv.Get(c, "jwt-signing-key")
			}
		}
		cancel()
		denied("the auditor", "read the signing key", err)
		c, cancel = short()
		err = auditor.DeleteStream(c, ticketStream)
		cancel()
		denied("the auditor", "delete a stream", err)
	}
	// Helpdesk itself cannot delete or purge a stream.
	hd, err := jetstream.New(connect("helpdesk"))
	if err != nil {
		t.Fatal(err)
	}
	{
		c, cancel := short()
		err := hd.DeleteStream(c, ticketStream)
		cancel()
		denied("the helpdesk user", "delete a stream", err)
	}
	// The operator may edit a stream (here its description).
	op, err := jetstream.New(connect("operator"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := op.Stream(ctx, ticketStream)
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	cfg.Description += " (edited by the operator)"
	if _, err := op.UpdateStream(ctx, cfg); err != nil {
		t.Errorf("the operator could not update a stream: %v", err)
	}
}

func call(t *testing.T, base, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

var envName = regexp.MustCompile(`\bHELPDESK_[A-Z0-9_]*[A-Z0-9]\b`)

// binaryEnv is every HELPDESK_* variable the helpdesk command reads.
func binaryEnv(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("../cmd/helpdesk/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sources of the helpdesk command: %v", err)
	}
	read := regexp.MustCompile(`(?:env|envInt|envBool|envDuration|os\.Getenv|os\.LookupEnv)\("(HELPDESK_[A-Z0-9_]+)"`)
	names := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range read.FindAllStringSubmatch(string(b), -1) {
			names[m[1]] = true
		}
	}
	if len(names) < 20 {
		t.Fatalf("found only %d variables in the helpdesk sources: has the way they are read changed?", len(names))
	}
	return names
}

// The example environment file lists every variable, and sets or mentions no other.
func TestEnvFile_lists_what_the_binary_reads(t *testing.T) {
	known := binaryEnv(t)
	b, err := os.ReadFile("systemd/helpdesk.env")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	assign := regexp.MustCompile(`(?m)^#?\s*(HELPDESK_[A-Z0-9_]+)=`)
	for _, m := range assign.FindAllStringSubmatch(string(b), -1) {
		listed[m[1]] = true
	}
	for name := range known {
		if !listed[name] {
			t.Errorf("helpdesk.env does not list %s", name)
		}
	}
	for _, name := range envName.FindAllString(string(b), -1) {
		if !known[name] {
			t.Errorf("helpdesk.env names %s, which the binary does not read", name)
		}
	}
	units, _ := filepath.Glob("systemd/*.service")
	drops, _ := filepath.Glob("systemd/*.d/*.conf")
	for _, f := range append(units, drops...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range envName.FindAllString(string(b), -1) {
			if !known[name] {
				t.Errorf("%s names %s, which the binary does not read", f, name)
			}
		}
	}
}

// Every variable the Kubernetes manifests give a container is one the binary reads.
func TestKubernetes_env_is_what_the_binary_reads(t *testing.T) {
	known := binaryEnv(t)
	f, err := os.Open("kubernetes/helpdesk.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	kinds := map[string]int{}
	var names []string
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("helpdesk.yaml: %v", err)
		}
		if doc == nil {
			continue
		}
		kind, _ := doc["kind"].(string)
		kinds[kind]++
		switch kind {
		case "ConfigMap", "Secret":
			for _, key := range []string{"data", "stringData"} {
				m, _ := doc[key].(map[string]any)
				for k := range m {
					if strings.HasPrefix(k, "HELPDESK_") {
						names = append(names, k)
					}
				}
			}
		case "Deployment":
			walk(doc, func(m map[string]any) {
				if env, ok := m["env"].([]any); ok {
					for _, e := range env {
						if em, ok := e.(map[string]any); ok {
							if n, ok := em["name"].(string); ok {
								names = append(names, n)
							}
						}
					}
				}
			})
		}
	}
	if kinds["Deployment"] != len(launcher.Services)+1 || kinds["Service"] < 1 || kinds["PodDisruptionBudget"] < 1 {
		t.Errorf("helpdesk.yaml holds %v: want a Deployment per service and the gateway, a Service and a PodDisruptionBudget", kinds)
	}
	for _, n := range names {
		if strings.HasPrefix(n, "HELPDESK_") && !known[n] {
			t.Errorf("helpdesk.yaml sets %s, which the binary does not read", n)
		}
	}
}

func walk(v any, f func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		f(x)
		for _, c := range x {
			walk(c, f)
		}
	case []any:
		for _, c := range x {
			walk(c, f)
		}
	}
}
