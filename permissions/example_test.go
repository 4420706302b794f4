package permissions_test

import (
	"fmt"

	"github.com/portcullis/portcullis/permissions"
)

func ExampleDefault() {
	p := permissions.Default()
	p.Set("geolocation", permissions.Self, "https://maps.example")
	p.Remove("payment")
	header, err := p.Header()
	if err != nil {
		panic(err)
	}
	fmt.Println(header)
	// Output:
	// accelerometer=(), browsing-topics=(), camera=(), display-capture=(), fullscreen=(self), geolocation=(self "https://maps.example"), gyroscope=(), hid=(), idle-detection=(), local-fonts=(), magnetometer=(), microphone=(), midi=(), serial=(), usb=(), xr-spatial-tracking=()
}

func ExampleParse() {
	p, err := permissions.Parse(`camera=(), geolocation=(self "https://maps.example"), fullscreen=*`)
	if err != nil {
		panic(err)
	}
	for _, f := range p.Features {
		fmt.Printf("%s %q\n", f.Name, f.Allow)
	}
	fmt.Println(p)

	_, err = permissions.Parse("camera=('none')")
	fmt.Println(err)
	// Output:
	// camera []
	// geolocation ["self" "https://maps.example"]
	// fullscreen ["*"]
	// camera=(), geolocation=(self "https://maps.example"), fullscreen=*
	// permissions: syntax error at offset 8: found "'": structured fields have no single-quoted values (write self, not 'self'; origins in double quotes)
}

func ExampleParseDetailed() {
	p, warnings, err := permissions.ParseDetailed(`camera=none, microphone=(self none), usb=(), usb=*`)
	if err != nil {
		panic(err)
	}
	fmt.Println(p)
	for _, w := range warnings {
		fmt.Println(w)
	}
	// Output:
	// microphone=(self), usb=*
	// permissions: offset 7: feature "camera": value none (a token) is not *, self, a string or an inner list; browsers ignore the whole member
	// permissions: offset 30: feature "microphone": token none is not an allowlist keyword (origins must be quoted strings); browsers ignore it
	// permissions: offset 45: feature "usb": feature given again; this later value replaces the earlier one
}

func ExamplePolicy_Validate() {
	p := permissions.Policy{Features: []permissions.Feature{
		{Name: "camera", Allow: []string{"self", "https://video.example/"}},
		{Name: "Geolocation", Allow: []string{"*", "self"}},
	}}
	fmt.Println(p.Validate())
	// Output:
	// permissions: feature "camera" (#0): "https://video.example/" is not an origin: has "/" after the host; an origin is scheme://host[:port] with no path, not even "/"
	// permissions: feature "Geolocation" (#1): invalid name: "Geolocation" must start with a lowercase letter or '*', not 'G'
	// permissions: feature "Geolocation" (#1): "*" must be the only allowlist entry: it already allows every origin
}
