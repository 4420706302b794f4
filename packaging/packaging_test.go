package packaging

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/internal/testutil"
)

// The release the tests build: a pre-release, so that the Debian version
// shows the - to ~ mapping; a fixed time and maintainer, so that the
// assertions can be exact.
const (
	testVersion    = "v1.2.3-rc.1"
	fileVersion    = "1.2.3-rc.1" // in archive names
	debianVersion  = "1.2.3~rc.1"
	testEpoch      = 1700000000
	testMaintainer = "portcullis tests <tests@example.com>"
)

var root = e2e.Root()

var rel struct {
	once sync.Once
	tmp  string // removed by TestMain
	dist string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if rel.tmp != "" {
		os.RemoveAll(rel.tmp)
	}
	os.Exit(code)
}

// goarch is the one target the tests build: this machine's, so that the
// packaged binary runs here.
func goarch(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skipf("the Debian package is built for linux amd64 and arm64, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	return runtime.GOARCH
}

// release runs scripts/release.sh once per test process, for linux on this
// machine's architecture only (cross-compiling the six targets would cost
// minutes), and returns its output directory.
func release(t *testing.T) string {
	t.Helper()
	arch := goarch(t)
	for _, tool := range []struct{ name, hint string }{
		{"tar", "apt-get install tar"},
		{"gzip", "apt-get install gzip"},
		{"sha256sum", "apt-get install coreutils"},
		{"md5sum", "apt-get install coreutils"},
		{"dpkg-deb", "apt-get install dpkg"},
	} {
		e2e.Need(t, tool.name, tool.hint)
	}
	rel.once.Do(func() {
		rel.tmp, rel.err = os.MkdirTemp("", "portcullis-release-test-")
		if rel.err != nil {
			return
		}
		rel.dist = filepath.Join(rel.tmp, "dist")
		start := time.Now()
		cmd := exec.Command(filepath.Join(root, "scripts", "release.sh"), testVersion)
		cmd.Dir = rel.tmp // the script finds the repository itself
		cmd.Env = append(os.Environ(),
			"PORTCULLIS_TARGETS=linux/"+arch,
			"PORTCULLIS_DIST="+rel.dist,
			"SOURCE_DATE_EPOCH="+strconv.Itoa(testEpoch),
			"DEB_MAINTAINER="+testMaintainer,
		)
		out, err := cmd.CombinedOutput()
		if err != nil {
			rel.err = fmt.Errorf("scripts/release.sh %s: %v\n%s", testVersion, err, out)
			return
		}
		t.Logf("scripts/release.sh took %v", time.Since(start).Round(time.Millisecond))
	})
	if rel.err != nil {
		t.Fatal(rel.err)
	}
	return rel.dist
}

func archiveName(arch string) string { return "portcullis_" + fileVersion + "_linux_" + arch }
func debName(arch string) string     { return "portcullis_" + debianVersion + "_" + arch + ".deb" }

// run runs a command and returns its standard output; a failure fails the
// test with both outputs.
func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, &stdout, &stderr)
	}
	return stdout.String()
}

var extracted struct {
	once sync.Once
	dir  string
	err  error
}

// packageRoot returns the .deb's files, extracted with dpkg-deb -x, and its
// control files (dpkg-deb -e) in DEBIAN/ below them.
func packageRoot(t *testing.T) string {
	t.Helper()
	deb := filepath.Join(release(t), debName(goarch(t)))
	extracted.once.Do(func() {
		extracted.dir = filepath.Join(rel.tmp, "root")
		for _, args := range [][]string{
			{"-x", deb, extracted.dir},
			{"-e", deb, filepath.Join(extracted.dir, "DEBIAN")},
		} {
			if out, err := exec.Command("dpkg-deb", args...).CombinedOutput(); err != nil {
				extracted.err = fmt.Errorf("dpkg-deb %s: %v\n%s", strings.Join(args, " "), err, out)
				return
			}
		}
	})
	if extracted.err != nil {
		t.Fatal(extracted.err)
	}
	return extracted.dir
}

func TestUsage(t *testing.T) {
	script := filepath.Join(root, "scripts", "release.sh")
	out, err := exec.Command(script, "-h").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "usage: scripts/release.sh") {
		t.Fatalf("release.sh -h: %v\n%s", err, out)
	}
	// Mistakes are refused with status 2 before anything is built.
	for _, tc := range []struct {
		name    string
		args    []string
		targets string
		want    string
	}{
		{"version without a digit first", []string{"latest"}, "", "VERSION latest"},
		{"version with a colon", []string{"1:1.0"}, "", "VERSION 1:1.0"},
		{"two versions", []string{"v1.0.0", "v1.0.1"}, "", "one VERSION at most"},
		{"unknown option", []string{"--sign"}, "", "unknown option --sign"},
		{"target without an architecture", []string{"v1.0.0"}, "linux", "target linux"},
		{"no target", []string{"v1.0.0"}, " , ", "PORTCULLIS_TARGETS is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(script, tc.args...)
			cmd.Env = append(os.Environ(), "PORTCULLIS_DIST="+t.TempDir())
			if tc.targets != "" {
				cmd.Env = append(cmd.Env, "PORTCULLIS_TARGETS="+tc.targets)
			}
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 {
				t.Fatalf("release.sh %q: %v, want exit status 2\n%s", tc.args, err, out)
			}
			if !strings.Contains(string(out), tc.want) || !strings.Contains(string(out), "usage:") {
				t.Errorf("release.sh %q said:\n%s\nwant %q and the usage", tc.args, out, tc.want)
			}
		})
	}
}

func TestChecksums(t *testing.T) {
	dist := release(t)
	arch := goarch(t)
	out := run(t, dist, "sha256sum", "--strict", "-c", "SHA256SUMS")
	t.Logf("sha256sum -c SHA256SUMS:\n%s", out)

	// SHA256SUMS names every artifact, and nothing else is in dist/.
	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for line := range strings.Lines(string(sums)) {
		hash, name, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "  ")
		if !ok || len(hash) != 64 {
			t.Errorf("SHA256SUMS line %q is not in sha256sum's format", line)
		}
		listed = append(listed, name)
	}
	want := []string{archiveName(arch) + ".tar.gz", debName(arch)}
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Errorf("SHA256SUMS lists %q, want %q", listed, want)
	}
	entries, err := os.ReadDir(dist)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	if want := append(slices.Clone(want), "SHA256SUMS"); !slices.Equal(files, slices.Sorted(slices.Values(want))) {
		t.Errorf("dist/ holds %q, want %q", files, want)
	}
}

func TestArchive(t *testing.T) {
	dist := release(t)
	arch := goarch(t)
	top := archiveName(arch)
	f, err := os.Open(filepath.Join(dist, top+".tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if !gz.ModTime.IsZero() || gz.Name != "" {
		t.Errorf("gzip header records name %q and time %v; want neither (gzip -n), for reproducible archives", gz.Name, gz.ModTime)
	}
	dir := t.TempDir()
	modes := map[string]os.FileMode{}
	var names []string
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		modes[h.Name] = h.FileInfo().Mode()
		// Reproducible: the same owner, time and order whoever builds.
		if h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != testEpoch {
			t.Errorf("%s: owner %d/%d, time %v; want 0/0 at SOURCE_DATE_EPOCH %d", h.Name, h.Uid, h.Gid, h.ModTime.Unix(), testEpoch)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, h.FileInfo().Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("entries are not sorted by name (tar --sort=name): %q", names)
	}

	want := map[string]os.FileMode{
		top + "/":                         os.ModeDir | 0o755,
		top + "/portcullis":               0o755,
		top + "/README.md":                0o644,
		top + "/THIRD_PARTY_LICENSES.txt": 0o644,
		top + "/docs/":                    os.ModeDir | 0o755,
		top + "/docs/install.md":          0o644,
		top + "/docs/config.md":           0o644,
		top + "/docs/serve.md":            0o644,
	}
	if _, err := os.Stat(filepath.Join(root, "LICENSE")); err == nil {
		want[top+"/LICENSE"] = 0o644
	}
	for name, mode := range want {
		if got, ok := modes[name]; !ok {
			t.Errorf("%s is missing from the archive", name)
		} else if got != mode {
			t.Errorf("%s: mode %v, want %v", name, got, mode)
		}
	}
	for name := range modes {
		if !strings.HasPrefix(name, top+"/") {
			t.Errorf("%s is outside the archive's directory %s/", name, top)
		}
	}
	readme, _ := os.ReadFile(filepath.Join(dir, top, "README.md"))
	if orig, _ := os.ReadFile(filepath.Join(root, "README.md")); !bytes.Equal(readme, orig) {
		t.Error("README.md in the archive differs from the repository's")
	}

	// The binary runs, and its notices name every module linked into it.
	bin := filepath.Join(dir, top, "portcullis")
	if out := run(t, dir, bin, "version"); !strings.HasPrefix(out, "portcullis ") {
		t.Errorf("portcullis version printed %q", out)
	}
	notices, err := os.ReadFile(filepath.Join(dir, top, "THIRD_PARTY_LICENSES.txt"))
	if err != nil {
		t.Fatal(err)
	}
	deps := 0
	for line := range strings.Lines(run(t, dir, "go", "version", "-m", bin)) {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "dep" {
			deps++
			if heading := "==== " + f[1] + " " + f[2] + "\n"; !bytes.Contains(notices, []byte(heading)) {
				t.Errorf("THIRD_PARTY_LICENSES.txt has no section %q", strings.TrimSpace(heading))
			}
		}
	}
	if deps == 0 {
		t.Error("go version -m lists no dependency: is the binary built from this module?")
	}
}

// The release's build settings, as the binary records them.
func TestBuildSettings(t *testing.T) {
	bin := filepath.Join(packageRoot(t), "usr", "bin", "portcullis")
	info := run(t, root, "go", "version", "-m", bin)
	for _, want := range []string{
		"build\tCGO_ENABLED=0",
		"build\t-trimpath=true",
		"build\tGOOS=linux",
		"build\tGOARCH=" + goarch(t),
	} {
		if !strings.Contains(info, want) {
			t.Errorf("go version -m lacks %q:\n%s", want, info)
		}
	}
	// Stripped: -s -w leave no symbol table, so go tool nm has nothing to list.
	if out, err := exec.Command("go", "tool", "nm", bin).CombinedOutput(); err == nil || !strings.Contains(string(out), "no symbols") {
		t.Errorf("go tool nm found symbols (%v): the binary is not stripped\n%.300s", err, out)
	}

	// The release's version is what the binary reports.
	if out := run(t, root, bin, "version"); !strings.HasPrefix(out, "portcullis "+testVersion+" ") {
		t.Errorf("portcullis version printed %q, want the release's %s", out, testVersion)
	}
	// Built from a git checkout, the binary records its commit, whatever
	// GOFLAGS=-buildvcs the builder's environment holds.
	if err := exec.Command("git", "-C", root, "rev-parse", "--git-dir").Run(); err != nil {
		t.Logf("not a git checkout (%v): no VCS stamp to check", err)
	} else if !regexp.MustCompile(`(?m)^\s*build\s+vcs\.revision=[0-9a-f]{40}$`).MatchString(info) {
		t.Errorf("go version -m records no vcs.revision:\n%s", info)
	}
}

func TestDebianControl(t *testing.T) {
	deb := filepath.Join(release(t), debName(goarch(t)))
	for _, tc := range []struct{ field, want string }{
		{"Package", "portcullis"},
		{"Version", debianVersion},
		{"Architecture", goarch(t)},
		{"Maintainer", testMaintainer},
		{"Depends", "adduser"},
		{"Section", "net"},
		{"Priority", "optional"},
		{"Homepage", "https://github.com/portcullis/portcullis"},
	} {
		if got := strings.TrimSpace(run(t, root, "dpkg-deb", "-f", deb, tc.field)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.field, got, tc.want)
		}
	}
	desc := run(t, root, "dpkg-deb", "-f", deb, "Description")
	if synopsis, _, _ := strings.Cut(desc, "\n"); synopsis == "" || len(synopsis) > 80 || strings.Count(desc, "\n") < 3 {
		t.Errorf("Description: want a synopsis of at most 80 characters and a long description, got:\n%s", desc)
	}
	size, err := strconv.Atoi(strings.TrimSpace(run(t, root, "dpkg-deb", "-f", deb, "Installed-Size")))
	if err != nil || size < 1000 {
		t.Errorf("Installed-Size: %d KiB (%v); the binary alone is megabytes", size, err)
	}
	// dpkg refuses a version that does not parse; --compare-versions
	// checks both the syntax and the ordering the ~ mapping is for.
	for _, tc := range [][3]string{
		{debianVersion, "lt", "1.2.3"},
		{debianVersion, "gt", "1.2.2"},
	} {
		if err := exec.Command("dpkg", "--compare-versions", tc[0], tc[1], tc[2]).Run(); err != nil {
			t.Errorf("dpkg --compare-versions %s %s %s: %v", tc[0], tc[1], tc[2], err)
		}
	}
}

func TestDebianContents(t *testing.T) {
	deb := filepath.Join(release(t), debName(goarch(t)))
	// dpkg-deb -c: "-rwxr-xr-x root/root  17006754 2026-12-07 11:10 ./usr/bin/portcullis"
	type entry struct{ mode, owner string }
	got := map[string]entry{}
	for line := range strings.Lines(run(t, root, "dpkg-deb", "-c", deb)) {
		f := strings.Fields(line)
		if len(f) != 6 {
			t.Fatalf("dpkg-deb -c line %q: want 6 fields", line)
		}
		got[strings.TrimPrefix(f[5], ".")] = entry{f[0], f[1]}
	}
	want := map[string]string{
		"/usr/bin/portcullis":                    "-rwxr-xr-x",
		"/lib/systemd/system/portcullis.service": "-rw-r--r--",
		"/etc/portcullis/portcullis.toml":        "-rw-r--r--",
		"/usr/share/doc/portcullis/copyright":    "-rw-r--r--",
	}
	for path, mode := range want {
		if e, ok := got[path]; !ok {
			t.Errorf("%s is missing from the package", path)
		} else if e.mode != mode {
			t.Errorf("%s: mode %s, want %s", path, e.mode, mode)
		}
	}
	for path, e := range got {
		if e.owner != "root/root" {
			t.Errorf("%s is owned by %s, want root/root (--root-owner-group)", path, e.owner)
		}
		if _, ok := want[path]; !ok && !strings.HasSuffix(path, "/") {
			t.Errorf("%s: a file the package should not hold", path)
		}
	}

	// The conffile is declared, so dpkg keeps the administrator's edits.
	if conffiles := run(t, root, "dpkg-deb", "-I", deb, "conffiles"); conffiles != "/etc/portcullis/portcullis.toml\n" {
		t.Errorf("conffiles: %q, want /etc/portcullis/portcullis.toml alone", conffiles)
	}

	pkg := packageRoot(t)
	// The packaged files are the repository's.
	for src, dst := range map[string]string{
		"packaging/systemd/portcullis.service": "lib/systemd/system/portcullis.service",
		"packaging/portcullis.toml":            "etc/portcullis/portcullis.toml",
		"packaging/debian/postinst":            "DEBIAN/postinst",
		"packaging/debian/prerm":               "DEBIAN/prerm",
		"packaging/debian/postrm":              "DEBIAN/postrm",
	} {
		a, err := os.ReadFile(filepath.Join(root, src))
		if err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(filepath.Join(pkg, dst)); err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s in the package differs from %s (%v)", dst, src, err)
		}
	}
	// md5sums is right (dpkg --verify reads it) and leaves out the conffile,
	// which dpkg tracks on its own.
	sums := run(t, pkg, "md5sum", "--strict", "-c", "DEBIAN/md5sums")
	if !strings.Contains(sums, "usr/bin/portcullis: OK") || strings.Contains(sums, "etc/") {
		t.Errorf("md5sum -c DEBIAN/md5sums:\n%s", sums)
	}
	copyright, err := os.ReadFile(filepath.Join(pkg, "usr/share/doc/portcullis/copyright"))
	if err != nil || !bytes.Contains(copyright, []byte("==== Go (the standard library and runtime)")) {
		t.Errorf("copyright does not carry Go's license (%v)", err)
	}
}

// The maintainer scripts are executable POSIX shell scripts that parse, and
// handle the arguments dpkg passes them (Debian Policy §6.5 to §6.8).
func TestMaintainerScripts(t *testing.T) {
	pkg := packageRoot(t)
	for _, tc := range []struct {
		script string
		want   []string // what the script must say or do
	}{
		{"postinst", []string{"configure)", "adduser --system --group --no-create-home", "getent passwd portcullis", "abort-upgrade"}},
		{"prerm", []string{"remove | deconfigure)", "deb-systemd-invoke stop portcullis.service", "upgrade | failed-upgrade)"}},
		{"postrm", []string{"purge)", `rm -rf "${DPKG_ROOT:-}/var/lib/portcullis"`, "remove)", "abort-install"}},
	} {
		t.Run(tc.script, func(t *testing.T) {
			p := filepath.Join(pkg, "DEBIAN", tc.script)
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o755 {
				t.Errorf("mode %v, want 0755", fi.Mode().Perm())
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte("#!/bin/sh\n")) || !bytes.Contains(b, []byte("\nset -e\n")) {
				t.Error("want #!/bin/sh and set -e")
			}
			for _, w := range tc.want {
				if !bytes.Contains(b, []byte(w)) {
					t.Errorf("lacks %q", w)
				}
			}
			run(t, pkg, "sh", "-n", p)
			// Nothing is enabled or started behind the administrator's back.
			var code strings.Builder
			for line := range strings.Lines(string(b)) {
				if !strings.HasPrefix(strings.TrimSpace(line), "#") {
					code.WriteString(line)
				}
			}
			for _, never := range []string{"systemctl enable", "systemctl start", "systemctl restart", "deb-systemd-helper enable"} {
				if strings.Contains(code.String(), never) {
					t.Errorf("runs %q; the package enables and starts nothing", never)
				}
			}
		})
	}
}

// The packaged binary runs, and accepts the packaged configuration and the
// examples commented in it.
func TestPackagedBinary(t *testing.T) {
	pkg := packageRoot(t)
	bin := filepath.Join(pkg, "usr", "bin", "portcullis")
	if out := run(t, pkg, bin, "version"); !strings.HasPrefix(out, "portcullis ") {
		t.Errorf("portcullis version printed %q", out)
	}
	conf := filepath.Join(pkg, "etc", "portcullis", "portcullis.toml")
	t.Log(run(t, pkg, bin, "check", conf))

	// Uncommenting the examples ("# key = …", "# [table]") gives a valid file
	// too, once the certificate files they name exist (for the site's
	// localhost too: the hosts line is not an example).
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	example := regexp.MustCompile(`(?m)^# (\[[a-z_.]+\]|[a-z_]+ = .*)$`)
	uncommented := example.ReplaceAll(b, []byte("$1"))
	if n := len(example.FindAll(b, -1)); n < 5 {
		t.Fatalf("found %d commented examples in portcullis.toml; the pattern no longer matches the file", n)
	}
	dir := t.TempDir()
	certFile, keyFile := testutil.NewCA(t, "packaging test CA").WriteLeaf(t, dir, "example.com", []string{"example.com", "localhost"}, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour))
	uncommented = bytes.ReplaceAll(uncommented, []byte(`"/etc/portcullis/example.com.pem"`), []byte(strconv.Quote(certFile)))
	uncommented = bytes.ReplaceAll(uncommented, []byte(`"/etc/portcullis/example.com-key.pem"`), []byte(strconv.Quote(keyFile)))
	p := filepath.Join(dir, "examples.toml")
	if err := os.WriteFile(p, uncommented, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Log(run(t, pkg, bin, "check", p))
}

// unit reads the [Service] section of the unit file: directive → values,
// in file order.
func unit(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	section := ""
	service := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = line
		case section == "[Service]":
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: %q is not key=value", path, line)
			}
			service[k] = append(service[k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return service
}

const unitPath = "packaging/systemd/portcullis.service"

// The hardening the unit applies (docs/install.md says why, line by line).
func TestUnitHardening(t *testing.T) {
	service := unit(t, filepath.Join(root, unitPath))
	for _, tc := range []struct{ key, want string }{
		{"ExecStart", "/usr/bin/portcullis serve --config /etc/portcullis/portcullis.toml --data /var/lib/portcullis"},
		{"ExecReload", "/usr/bin/portcullis reload --data /var/lib/portcullis"},
		{"Restart", "on-failure"},
		{"LimitNOFILE", "65536"},
		{"User", "portcullis"},
		{"Group", "portcullis"},
		{"StateDirectory", "portcullis"},
		{"StateDirectoryMode", "0700"},
		{"ConfigurationDirectory", "portcullis"},
		{"AmbientCapabilities", "CAP_NET_BIND_SERVICE"},
		{"CapabilityBoundingSet", "CAP_NET_BIND_SERVICE"},
		{"NoNewPrivileges", "yes"},
		{"ProtectSystem", "strict"},
		{"ProtectHome", "yes"},
		{"PrivateTmp", "yes"},
		{"PrivateDevices", "yes"},
		{"ProtectKernelTunables", "yes"},
		{"ProtectKernelModules", "yes"},
		{"ProtectKernelLogs", "yes"},
		{"ProtectControlGroups", "yes"},
		{"RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"},
		{"RestrictNamespaces", "yes"},
		{"LockPersonality", "yes"},
		{"MemoryDenyWriteExecute", "yes"},
		{"SystemCallArchitectures", "native"},
		{"SystemCallFilter", "@system-service"},
	} {
		if got := service[tc.key]; !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%s=%q, want %q", tc.key, got, tc.want)
		}
	}

	// docs/install.md explains every directive of [Service].
	doc, err := os.ReadFile(filepath.Join(root, "docs", "install.md"))
	if err != nil {
		t.Fatal(err)
	}
	for key := range service {
		if !bytes.Contains(doc, []byte("`"+key+"=")) {
			t.Errorf("docs/install.md does not explain %s= (write it as `%s=…`)", key, key)
		}
	}
}

// The packaged unit passes systemd's own checks: systemd-analyze verify
// (syntax, directives, the programs it runs), and security, whose exposure
// score must stay in systemd's "OK" band or better.
func TestUnitVerify(t *testing.T) {
	analyze := e2e.Need(t, "systemd-analyze", "apt-get install systemd")
	pkg := packageRoot(t)
	bin := filepath.Join(pkg, "usr", "bin", "portcullis")
	b, err := os.ReadFile(filepath.Join(pkg, "lib", "systemd", "system", "portcullis.service"))
	if err != nil {
		t.Fatal(err)
	}
	// verify checks that ExecStart's and ExecReload's program exists:
	// point them at the packaged binary, as installed it would be at
	// /usr/bin/portcullis.
	rewritten := b
	for _, key := range []string{"ExecStart", "ExecReload"} {
		before := rewritten
		rewritten = bytes.ReplaceAll(rewritten, []byte(key+"=/usr/bin/portcullis "), []byte(key+"="+bin+" "))
		if bytes.Equal(rewritten, before) {
			t.Fatalf("the unit has no %s=/usr/bin/portcullis to rewrite", key)
		}
	}
	dir := t.TempDir()
	u := filepath.Join(dir, "portcullis.service")
	if err := os.WriteFile(u, rewritten, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(analyze, "verify", u)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}

	out, err = exec.Command(analyze, "security", "--offline=yes", "--no-pager", u).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security --offline=yes: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for portcullis\.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in systemd-analyze security's output:\n%s", out)
	}
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("systemd-analyze security: exposure %.1f", score)
	if score > 2.0 {
		t.Errorf("exposure %.1f, want at most 2.0 (it was 1.8 when the unit was written):\n%s", score, out)
	}
}

// Every flag ExecStart and ExecReload pass exists in the packaged
// binary's serve and reload.
func TestUnitFlags(t *testing.T) {
	pkg := packageRoot(t)
	service := unit(t, filepath.Join(pkg, "lib", "systemd", "system", "portcullis.service"))
	for _, key := range []string{"ExecStart", "ExecReload"} {
		args := strings.Fields(service[key][0])
		if len(args) < 2 || args[0] != "/usr/bin/portcullis" {
			t.Fatalf("%s=%q: want /usr/bin/portcullis …", key, service[key][0])
		}
		// COMMAND -h prints its flags (and exits 0).
		help, err := exec.Command(filepath.Join(pkg, "usr", "bin", "portcullis"), args[1], "-h").CombinedOutput()
		if err != nil {
			t.Fatalf("%s -h: %v\n%s", args[1], err, help)
		}
		for _, a := range args[2:] {
			if !strings.HasPrefix(a, "-") {
				continue
			}
			name := strings.TrimLeft(a, "-")
			if !regexp.MustCompile(`(?m)^\s*--?` + regexp.QuoteMeta(name) + `\b`).Match(help) {
				t.Errorf("%s passes %s, which %s -h does not list:\n%s", key, a, args[1], help)
			}
		}
	}
}

// TestInstall installs the package on this machine with dpkg and takes it
// through its life: install, reinstall, upgrade keeping an edited conffile,
// remove (configuration and state stay), purge (they go; the system user
// stays). It changes the system, so it runs only when asked, as root, with
// PORTCULLIS_TEST_INSTALL=1 (a disposable container), and never where
// portcullis is installed or its user or state already exist. Without
// systemd as PID 1 the scripts' systemctl calls are skipped, as in a
// container.
func TestInstall(t *testing.T) {
	if os.Getenv("PORTCULLIS_TEST_INSTALL") != "1" {
		t.Skip("changes the system: set PORTCULLIS_TEST_INSTALL=1, as root, in a disposable machine")
	}
	if os.Geteuid() != 0 {
		t.Fatal("PORTCULLIS_TEST_INSTALL=1 needs root")
	}
	dpkg := e2e.Need(t, "dpkg", "apt-get install dpkg")
	if err := exec.Command("getent", "passwd", "portcullis").Run(); err == nil {
		t.Fatal("a user portcullis exists: not touching this machine")
	}
	for _, p := range []string{"/var/lib/portcullis", "/etc/portcullis", "/usr/bin/portcullis"} {
		if _, err := os.Lstat(p); err == nil {
			t.Fatalf("%s exists: not touching this machine", p)
		}
	}
	deb := filepath.Join(release(t), debName(goarch(t)))
	t.Cleanup(func() {
		exec.Command(dpkg, "--purge", "portcullis").Run()
		exec.Command("deluser", "--system", "portcullis").Run()
		exec.Command("delgroup", "--system", "portcullis").Run()
	})

	// The upgrade: the same package, one version later.
	next := filepath.Join(t.TempDir(), "next")
	run(t, root, "cp", "-a", packageRoot(t), next)
	control := filepath.Join(next, "DEBIAN", "control")
	b, err := os.ReadFile(control)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(control, bytes.Replace(b, []byte("Version: "+debianVersion+"\n"), []byte("Version: 1.2.3\n"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	upgrade := next + ".deb"
	run(t, root, "dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "--build", next, upgrade)

	exists := func(path string, want bool) {
		t.Helper()
		if _, err := os.Lstat(path); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", path, err == nil, want)
		}
	}
	version := func() string {
		out, _ := exec.Command("dpkg-query", "-W", "-f=${Version} ${db:Status-Status}", "portcullis").Output()
		return string(out)
	}

	run(t, root, dpkg, "--install", deb)
	passwd := strings.TrimSpace(run(t, root, "getent", "passwd", "portcullis"))
	f := strings.Split(passwd, ":")
	if uid, _ := strconv.Atoi(f[2]); len(f) != 7 || uid >= 1000 || f[5] != "/var/lib/portcullis" || !strings.HasSuffix(f[6], "nologin") {
		t.Errorf("user portcullis: %q, want a system user (uid < 1000), home /var/lib/portcullis, no login shell", passwd)
	}
	run(t, root, "getent", "group", "portcullis")
	if got := version(); got != debianVersion+" installed" {
		t.Errorf("after install: %q", got)
	}
	exists("/usr/bin/portcullis", true)

	run(t, root, dpkg, "--install", deb) // again: the user exists now
	if again := strings.TrimSpace(run(t, root, "getent", "passwd", "portcullis")); again != passwd {
		t.Errorf("reinstalling changed the user: %q, was %q", again, passwd)
	}

	const edit = "\n# edited by the administrator\n"
	conf, err := os.OpenFile("/etc/portcullis/portcullis.toml", os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	conf.WriteString(edit)
	conf.Close()
	run(t, root, dpkg, "--install", "--force-confold", upgrade)
	if got := version(); got != "1.2.3 installed" {
		t.Errorf("after upgrade: %q", got)
	}
	if b, _ := os.ReadFile("/etc/portcullis/portcullis.toml"); !bytes.HasSuffix(b, []byte(edit)) {
		t.Error("the upgrade lost the administrator's edit of the conffile")
	}

	if err := os.MkdirAll("/var/lib/portcullis/ca", 0o700); err != nil {
		t.Fatal(err)
	}
	run(t, root, dpkg, "--remove", "portcullis")
	exists("/usr/bin/portcullis", false)
	exists("/lib/systemd/system/portcullis.service", false)
	exists("/etc/portcullis/portcullis.toml", true)
	exists("/var/lib/portcullis/ca", true)

	run(t, root, dpkg, "--purge", "portcullis")
	exists("/etc/portcullis", false)
	exists("/var/lib/portcullis", false)
	run(t, root, "getent", "passwd", "portcullis") // kept, as Debian keeps system users
}

// The release script and the maintainer scripts pass shellcheck: bash for
// the one, POSIX sh (what dpkg runs them with) for the others.
func TestShellcheck(t *testing.T) {
	shellcheck := e2e.Need(t, "shellcheck", "apt-get install shellcheck")
	for _, tc := range []struct{ shell, path string }{
		{"bash", "scripts/release.sh"},
		{"sh", "packaging/debian/postinst"},
		{"sh", "packaging/debian/prerm"},
		{"sh", "packaging/debian/postrm"},
	} {
		if out, err := exec.Command(shellcheck, "--shell="+tc.shell, filepath.Join(root, tc.path)).CombinedOutput(); err != nil {
			t.Errorf("shellcheck %s: %v\n%s", tc.path, err, out)
		}
	}
}
