module github.com/portcullis/portcullis/bench/middleware

go 1.26.0

require github.com/portcullis/portcullis v0.0.0

require github.com/unrolled/secure v1.17.0

replace github.com/portcullis/portcullis => ../..
