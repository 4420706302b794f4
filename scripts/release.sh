#!/usr/bin/env bash
# Builds the release artifacts of portcullis into dist/: an archive per
# platform, Debian packages, and their checksums. docs/install.md describes
# what they hold and how to verify them.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/release.sh [-h] [VERSION]

Cross-compiles portcullis (CGO_ENABLED=0, -trimpath, stripped) and packages it:
  dist/portcullis_V_OS_ARCH.tar.gz   linux and darwin  } the binary, README.md, LICENSE,
  dist/portcullis_V_OS_ARCH.zip      windows           } docs/, THIRD_PARTY_LICENSES.txt
  dist/portcullis_DEBV_ARCH.deb      linux amd64 and arm64: the binary, the systemd unit,
                                     /etc/portcullis/portcullis.toml
  dist/SHA256SUMS                    check with: cd dist && sha256sum -c SHA256SUMS

VERSION    the release, e.g. v1.2.3 or v1.2.3-rc.1 (a leading v is optional); the
           binary reports it (-X .../internal/version.Version). V is VERSION without
           its leading v; DEBV is V with - turned into ~, so that 1.2.3~rc.1 sorts
           before 1.2.3 as Debian versions do.
           Without VERSION: the version Go stamps from git (the tag, or a
           pseudo-version such as v0.0.0-20260101120000-0123456789ab+dirty).

Environment:
  PORTCULLIS_TARGETS  GOOS/GOARCH pairs, space- or comma-separated
                      (default: linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
                      windows/amd64 windows/arm64)
  PORTCULLIS_DIST     the output directory (default: dist/ in the repository); its
                      portcullis_* files and SHA256SUMS are replaced
  DEB_MAINTAINER      the packages' Maintainer (default: the author of the last commit)
  SOURCE_DATE_EPOCH   the time stamped on every packaged file (default: the last
                      commit's time), for reproducible archives
EOF
}

die() { echo "release: $*" >&2; exit 1; }
usage_error() { echo "release: $*" >&2; echo >&2; usage >&2; exit 2; }

version=""
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage; exit 0 ;;
    -*) usage_error "unknown option $arg" ;;
    *)
      [ -z "$version" ] || usage_error "one VERSION at most (got $version and $arg)"
      version="$arg"
      ;;
  esac
done
# Debian upstream versions: a digit first, then letters, digits and . + ~ -.
version_re='^v?[0-9][0-9A-Za-z.+~-]*$'
if [ -n "$version" ] && ! [[ "$version" =~ $version_re ]]; then
  usage_error "VERSION $version: write it like v1.2.3 or 1.2.3-rc.1 (a digit first; letters, digits and . + ~ -)"
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
module=github.com/portcullis/portcullis
dist="${PORTCULLIS_DIST:-$root/dist}"
read -r -a targets <<<"$(tr ',' ' ' <<<"${PORTCULLIS_TARGETS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}")"
[ "${#targets[@]}" -gt 0 ] || usage_error "PORTCULLIS_TARGETS is empty"

need() { command -v "$1" >/dev/null || die "$1 is needed ($2)"; }
need go "https://go.dev/dl/"
need tar "Debian package tar"
need gzip "Debian package gzip"
need sha256sum "Debian package coreutils"
need md5sum "Debian package coreutils"
for t in "${targets[@]}"; do
  [[ "$t" =~ ^[a-z0-9]+/[a-z0-9]+$ ]] || usage_error "target $t: write it GOOS/GOARCH, e.g. linux/amd64"
  case "$t" in
    windows/*) need zip "Debian package zip, for the windows archives" ;;
    linux/amd64 | linux/arm64) need dpkg-deb "Debian package dpkg, for the .deb packages" ;;
  esac
done

in_git=false
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then in_git=true; fi
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  if $in_git; then SOURCE_DATE_EPOCH="$(git log -1 --format=%ct)"; else SOURCE_DATE_EPOCH="$(date +%s)"; fi
fi
[[ "$SOURCE_DATE_EPOCH" =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH is not a number of seconds"
export SOURCE_DATE_EPOCH
maintainer="${DEB_MAINTAINER:-}"
if [ -z "$maintainer" ] && $in_git; then maintainer="$(git log -1 --format='%an <%ae>')"; fi

work="$(mktemp -d "${TMPDIR:-/tmp}/portcullis-release.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Build. VCS stamping is asked for explicitly (a GOFLAGS=-buildvcs=false in
# the environment would otherwise drop it), since without VERSION it is what
# the binary reports; the -X has effect only if cmd/portcullis links
# internal/version (the linker ignores it otherwise). GOAMD64/GOARM64 are pinned to the baseline so that a
# developer's setting cannot make binaries that older CPUs refuse.
ldflags="-s -w"
[ -z "$version" ] || ldflags+=" -X $module/internal/version.Version=$version"
buildvcs=false
if $in_git; then buildvcs=true; fi
declare -A bins=()
for t in "${targets[@]}"; do
  goos="${t%/*}" goarch="${t#*/}"
  exe=portcullis
  [ "$goos" != windows ] || exe=portcullis.exe
  out="$work/bin/${goos}_$goarch/$exe"
  echo "release: building $t"
  CGO_ENABLED=0 GOOS="$goos" GOARCH="$goarch" GOAMD64=v1 GOARM64=v8.0 \
    go build -buildvcs="$buildvcs" -trimpath -ldflags="$ldflags" -o "$out" ./cmd/portcullis
  bins[$t]="$out"
done

if [ -z "$version" ]; then
  version="$(go version -m "${bins[${targets[0]}]}" | awk '$1 == "mod" { print $3 }')"
  if [ -z "$version" ] || [ "$version" = "(devel)" ]; then
    die "no version from git (not a git checkout?): give VERSION, e.g. scripts/release.sh v1.2.3"
  fi
  [[ "$version" =~ $version_re ]] || die "Go stamped the version $version, which is no Debian version: give VERSION"
fi
v="${version#v}"
debv="${v//-/\~}"
echo "release: version $version (files: $v, Debian: $debv)"

# The licenses of what is compiled into a binary, which its archive and
# package must carry: Go's, and every module's.
third_party() { # GOOS GOARCH
  echo "portcullis $version is built with Go $(go env GOVERSION) and the modules below;"
  echo "their licenses follow."
  printf '\n==== Go (the standard library and runtime)\n\n'
  cat "$(go env GOROOT)/LICENSE"
  local mods path ver dir f
  mods="$(CGO_ENABLED=0 GOOS="$1" GOARCH="$2" go list -deps \
    -f '{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}} {{with .Replace}}{{.Dir}}{{else}}{{.Dir}}{{end}}{{end}}{{end}}' \
    ./cmd/portcullis | LC_ALL=C sort -u)"
  while read -r path ver dir; do
    [ -n "$path" ] || continue
    printf '\n==== %s %s\n\n' "$path" "$ver"
    f="$(find "$dir" -maxdepth 1 -type f \( -iname 'licen[cs]e*' -o -iname 'copying*' \) | LC_ALL=C sort | head -n1)"
    [ -n "$f" ] || die "module $path $ver has no license file in $dir"
    cat "$f"
    if [ -f "$dir/NOTICE" ]; then printf '\n---- NOTICE\n\n'; cat "$dir/NOTICE"; fi
  done <<<"$mods"
}

# Same modes and times whoever builds: 0755 for directories and the
# binary, 0644 for the rest, every mtime SOURCE_DATE_EPOCH.
normalize() { # DIR
  find "$1" -type d -exec chmod 0755 {} +
  find "$1" -type f -exec chmod 0644 {} +
  find "$1" -type f \( -name portcullis -o -name portcullis.exe -o -path '*/DEBIAN/p*' \) -exec chmod 0755 {} +
  find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

out="$work/out"
mkdir -p "$out"
for t in "${targets[@]}"; do
  goos="${t%/*}" goarch="${t#*/}"
  name="portcullis_${v}_${goos}_$goarch"
  stage="$work/archive/$name"
  mkdir -p "$stage"
  cp "${bins[$t]}" "$stage/"
  cp README.md "$stage/"
  [ ! -f LICENSE ] || cp LICENSE "$stage/"
  cp -R docs "$stage/docs"
  third_party "$goos" "$goarch" >"$stage/THIRD_PARTY_LICENSES.txt"
  normalize "$stage"
  if [ "$goos" = windows ]; then
    (cd "$work/archive" && find "$name" -print | LC_ALL=C sort | TZ=UTC zip -X -q -9 -@ "$out/$name.zip")
  else
    tar -C "$work/archive" --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
      --mtime="@$SOURCE_DATE_EPOCH" -cf - "$name" | gzip -9 -n >"$out/$name.tar.gz"
  fi
  echo "release: $name"
done

# Debian packages, for the architectures Debian and Go name alike.
for t in "${targets[@]}"; do
  case "$t" in linux/amd64 | linux/arm64) ;; *) continue ;; esac
  arch="${t#*/}"
  [ -n "$maintainer" ] || die "DEB_MAINTAINER is needed outside a git checkout, e.g. 'Jane Doe <jane@example.com>'"
  pkg="$work/deb/$arch"
  install -D "${bins[$t]}" "$pkg/usr/bin/portcullis"
  install -D packaging/systemd/portcullis.service "$pkg/lib/systemd/system/portcullis.service"
  install -D packaging/portcullis.toml "$pkg/etc/portcullis/portcullis.toml"
  mkdir -p "$pkg/usr/share/doc/portcullis" "$pkg/DEBIAN"
  {
    echo "portcullis $version, packaged from https://github.com/portcullis/portcullis"
    echo
    if [ -f LICENSE ]; then
      echo "Copyright: the portcullis authors. License:"
      echo
      cat LICENSE
    else
      echo "Copyright: the portcullis authors. The source tree this package was built"
      echo "from had no LICENSE file."
    fi
    echo
    echo "==== /usr/bin/portcullis is a static binary."
    echo
    third_party linux "$arch"
  } >"$pkg/usr/share/doc/portcullis/copyright"
  cp packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm packaging/debian/conffiles "$pkg/DEBIAN/"
  (cd "$pkg" && find usr lib -type f | LC_ALL=C sort | xargs md5sum >DEBIAN/md5sums)
  cat >"$pkg/DEBIAN/control" <<EOF
Package: portcullis
Version: $debv
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --apparent-size --exclude=DEBIAN "$pkg" | cut -f1)
Depends: adduser
Section: net
Priority: optional
Homepage: https://github.com/portcullis/portcullis
Description: TLS reverse proxy that hardens any web application
 portcullis terminates TLS in front of a web application and applies what a
 security review asks for: HTTPS redirects, HSTS, Secure cookies, security
 headers, CSP, CORS and CSRF protection, security.txt. Certificates come from
 ACME (Let's Encrypt), files or a local CA, and are monitored for expiry.
 .
 The package installs a hardened systemd unit, portcullis.service, that is
 not enabled: edit /etc/portcullis/portcullis.toml, then
 systemctl enable --now portcullis.
EOF
  normalize "$pkg"
  deb="portcullis_${debv}_$arch.deb"
  dpkg-deb --root-owner-group -Zxz --build "$pkg" "$out/$deb" >/dev/null
  echo "release: $deb"
done

# The files are named, not globbed: a * could catch SHA256SUMS itself, which
# the redirection creates while the pipeline starts.
(cd "$out" && sha256sum -- portcullis_* | LC_ALL=C sort -k2 >SHA256SUMS)

mkdir -p "$dist"
rm -f "$dist"/portcullis_*.tar.gz "$dist"/portcullis_*.zip "$dist"/portcullis_*.deb "$dist/SHA256SUMS"
mv "$out"/* "$dist/"
echo "release: $(find "$dist" -maxdepth 1 -name 'portcullis_*' | wc -l) artifacts and SHA256SUMS in $dist"
