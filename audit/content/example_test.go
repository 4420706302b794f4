package content_test

import (
	"fmt"
	"strings"

	"github.com/portcullis/portcullis/audit/content"
)

func ExampleCheck() {
	html := `<!DOCTYPE html>
<html><head>
<script src="http://cdn.example.net/jquery.js"></script>
<script src="https://cdn.example.net/app.js"></script>
</head><body>
<img src="http://img.example.net/logo.png">
<form method="post" action="http://www.example.com/login"></form>
</body></html>`
	page, err := content.Parse("https://www.example.com/", strings.NewReader(html), 1<<20)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range content.Check(page) {
		fmt.Printf("%s %s\n  %s\n", f.Severity, f.Rule, f.Evidence)
	}
	// Output:
	// high content.mixed-active
	//   line 3: <script src="http://cdn.example.net/jquery.js">
	// low content.sri-missing
	//   line 3: <script src="http://cdn.example.net/jquery.js">
	// low content.sri-missing
	//   line 4: <script src="https://cdn.example.net/app.js">
	// low content.mixed-passive
	//   line 6: <img src="http://img.example.net/logo.png">
	// high redirect.http-form-action
	//   line 7: <form method="post" action="http://www.example.com/login">
}
