package cspsuggest

import (
	"slices"
	"testing"

	"github.com/portcullis/portcullis/config"
)

func TestCSPSiteInput(t *testing.T) {
	cfg, err := config.Parse("sites.toml", []byte(`
[listen]
https = ":8443"

[defaults.csp]
nonce = true

[[site]]
name = "app"
hosts = ["App.Test.", "www.app.test", ".app.test", "[::1]", "127.0.0.1"]
upstream = "http://127.0.0.1:8000"
[site.cert]
on_demand = true
ask = "http://127.0.0.1:8000/ask"
[site.policy.headers]
frame_options = "SAMEORIGIN"

[[site]]
name = "embed"
hosts = ["embed.test"]
upstream = "http://127.0.0.1:8001"
[site.policy.headers]
frame_options = "off"
[site.policy.csp]
nonce = false
`))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []Input{
		{Site: "app", Nonce: true, FrameOptions: "SAMEORIGIN",
			Self: []string{"https://app.test:8443", "https://www.app.test:8443", "https://[::1]:8443", "https://127.0.0.1:8443"}},
		{Site: "embed", FrameOptions: "off", Self: []string{"https://embed.test:8443"}},
	} {
		got, err := SiteInput(cfg, &cfg.Sites[i])
		if err != nil {
			t.Fatal(err)
		}
		if got.Site != want.Site || got.Nonce != want.Nonce || got.FrameOptions != want.FrameOptions || !slices.Equal(got.Self, want.Self) {
			t.Errorf("SiteInput = %+v, want %+v", got, want)
		}
	}
}
