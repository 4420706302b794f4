package shield

import (
	"errors"
	"fmt"

	"github.com/portcullis/portcullis/csp"
)

// OptionError is one problem New found in Options. New reports every
// problem at once, as an errors.Join of *OptionError: use errors.As for
// the first, or the joined error's Unwrap() []error for each, and Field
// to tell which option is at fault without reading the message.
type OptionError struct {
	// Field is the option's path in Options as Go spells it:
	// "HSTS.Preload", "CORS.Origins", "Headers.FrameOptions",
	// "Headers.FrameOptions.OnConflict", "Hosts", "SecurityTxt.File"…
	Field string
	// Err says what is wrong with the option's value.
	Err error
}

// Error returns "shield: Field: what is wrong".
func (e *OptionError) Error() string { return "shield: " + e.Field + ": " + e.Err.Error() }

// Unwrap returns Err.
func (e *OptionError) Unwrap() error { return e.Err }

// optionErr returns an *OptionError for field with a formatted message.
func optionErr(field, format string, a ...any) error {
	return &OptionError{Field: field, Err: fmt.Errorf(format, a...)}
}

// problems collects the *OptionErrors of one validation. A constructor
// returns problems.err(), and New flattens what each returns with add, so
// that its error is a single errors.Join of *OptionError.
type problems []error

// add appends err (nil, an *OptionError or a join of them).
func (p *problems) add(err error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		*p = append(*p, j.Unwrap()...)
	} else if err != nil {
		*p = append(*p, err)
	}
}

// addf appends an *OptionError for field.
func (p *problems) addf(field, format string, a ...any) {
	*p = append(*p, optionErr(field, format, a...))
}

// addErr appends err as an *OptionError for field, one per problem when
// err holds several: each error of a join (permissions.Policy.Validate),
// each warning of a *csp.Error (csp.Policy.Validate).
func (p *problems) addErr(field string, err error) {
	var ce *csp.Error
	switch j, ok := err.(interface{ Unwrap() []error }); {
	case ok:
		for _, e := range j.Unwrap() {
			*p = append(*p, &OptionError{Field: field, Err: e})
		}
	case errors.As(err, &ce) && len(ce.Warnings) > 1:
		for _, w := range ce.Warnings {
			*p = append(*p, &OptionError{Field: field, Err: &csp.Error{Warnings: []csp.Warning{w}}})
		}
	default:
		*p = append(*p, &OptionError{Field: field, Err: err})
	}
}

// err returns the problems as one errors.Join, or nil if there are none.
func (p problems) err() error { return errors.Join(p...) }
