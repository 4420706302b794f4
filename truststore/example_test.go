package truststore_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/truststore"
)

// What `portcullis ca install` does with the local CA's root: every store
// is listed with its action, and a system store that needs root says what
// sudo would do. (Not run: it changes this machine's trust stores.)
func Example() {
	ca, err := certs.OpenLocalCA(datadir.Default().CA(), certs.LocalCAOptions{})
	if err != nil {
		log.Fatal(err)
	}
	stores, err := truststore.Install(ca.Root(), truststore.Options{})
	for _, s := range stores {
		fmt.Println(s) // system (Debian) /usr/local/share/ca-certificates/portcullis-….crt: added
	}
	if errors.Is(err, truststore.ErrNeedRoot) {
		fmt.Println("the browsers trust it now; for the system's store, rerun with sudo")
	}
	if err != nil {
		os.Exit(1)
	}
}
