package rules

// References shared by several rules.
const (
	mdnHeaders = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/"
	mdnCSP     = mdnHeaders + "Content-Security-Policy"
	owaspCS    = "https://cheatsheetseries.owasp.org/cheatsheets/"

	owaspHeaders   = owaspCS + "HTTP_Headers_Cheat_Sheet.html"
	owaspHSTS      = owaspCS + "HTTP_Strict_Transport_Security_Cheat_Sheet.html"
	owaspTLS       = owaspCS + "Transport_Layer_Security_Cheat_Sheet.html"
	owaspSession   = owaspCS + "Session_Management_Cheat_Sheet.html"
	owaspCSP       = owaspCS + "Content_Security_Policy_Cheat_Sheet.html"
	owaspClickjack = owaspCS + "Clickjacking_Defense_Cheat_Sheet.html"

	rfc5280    = "https://www.rfc-editor.org/rfc/rfc5280"
	rfc6797    = "https://www.rfc-editor.org/rfc/rfc6797"
	rfc9110    = "https://www.rfc-editor.org/rfc/rfc9110"
	rfc9116    = "https://www.rfc-editor.org/rfc/rfc9116"
	rfc9325    = "https://www.rfc-editor.org/rfc/rfc9325"
	rfc8659    = "https://www.rfc-editor.org/rfc/rfc8659"
	rfc6265bis = "https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis"

	hstsPreload     = "https://hstspreload.org/"
	mozillaTLS      = "https://wiki.mozilla.org/Security/Server_Side_TLS"
	mozillaTLSGen   = "https://ssl-config.mozilla.org/"
	csp3            = "https://www.w3.org/TR/CSP3/"
	strictCSP       = "https://web.dev/articles/strict-csp"
	cspEvaluator    = "https://csp-evaluator.withgoogle.com/"
	fetchCORS       = "https://fetch.spec.whatwg.org/#http-cors-protocol"
	mdnCORS         = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Guides/CORS"
	portswiggerCORS = "https://portswigger.net/web-security/cors"
	mdnRedirects    = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Guides/Redirections"
	mixedContent    = "https://www.w3.org/TR/mixed-content/"
	referrerPolicy  = "https://www.w3.org/TR/referrer-policy/"
	samesiteWebDev  = "https://web.dev/articles/samesite-cookies-explained"
	htmlCOOP        = "https://html.spec.whatwg.org/multipage/browsers.html#cross-origin-opener-policies"
	djangoSettings  = "https://docs.djangoproject.com/en/stable/ref/settings/"
)

// catalog lists every rule. Order here does not matter (All sorts); keep it
// grouped by category for readability. IDs are stable: never rename or
// reuse one.
var catalog = []Rule{
	// ---- hosts ----
	{
		ID: "host.unrestricted", Category: Hosts, Severity: Medium, Django: "security.W020",
		Title:       "Any Host header is accepted",
		Description: "The application answers requests for any `Host` header value, so attackers can make it build absolute URLs (password-reset links, redirects, cache keys) that point at a host they control. This is the root of host-header injection and web cache poisoning.",
		Fix:         "Configure the list of host names the site serves, so portcullis rejects requests for any other `Host` with 400 Bad Request; never use a bare `*` pattern in production.",
		References: []string{
			"https://portswigger.net/web-security/host-header",
			"https://owasp.org/www-project-web-security-testing-guide/latest/4-Web_Application_Security_Testing/07-Input_Validation_Testing/17-Testing_for_Host_Header_Injection",
			djangoSettings + "#allowed-hosts",
		},
	},
	{
		ID: "host.invalid-pattern", Category: Hosts, Severity: Medium,
		Title:       "Allowed-host pattern is malformed",
		Description: "An entry in the allowed-hosts list is not a valid host name, IP literal or subdomain wildcard, so it never matches or matches more than intended. Typical mistakes are a scheme, a path or a port in the entry, or a wildcard in the middle of a name.",
		Fix:         "Write each entry as a bare host name (`example.com`), an IP literal or a subdomain wildcard; remove schemes (`https://`), paths and ports.",
		References: []string{
			rfc9110 + "#section-7.2",
			djangoSettings + "#allowed-hosts",
		},
	},

	// ---- proxy ----
	{
		ID: "proxy.trust-all", Category: Proxy, Severity: High,
		Title:       "Forwarding headers are trusted from every address",
		Description: "`X-Forwarded-For`, `X-Forwarded-Proto`, `X-Forwarded-Host` and `Forwarded` are honoured whichever peer sent them, so any client can forge its IP address, claim the request arrived over HTTPS or choose the host name the application sees. That defeats IP allow-lists and rate limits, the HTTPS redirect and Secure-cookie decisions.",
		Fix:         "Trust forwarding headers only from the addresses or CIDR ranges of your own reverse proxies and load balancers; leave the trusted-proxy list in portcullis empty when clients connect directly.",
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc7239#section-8",
			mdnHeaders + "X-Forwarded-For",
			"https://adam-p.ca/blog/2022/03/x-forwarded-for/",
		},
	},
	{
		ID: "proxy.forwarded-spoofable", Category: Proxy, Severity: Medium,
		Title:       "Client-supplied forwarding headers reach the application",
		Description: "Forwarding headers sent by the client pass through the trusted proxy instead of being removed or overwritten, so the application may act on a value the client chose. In `X-Forwarded-For` every entry left of those added by your own proxies is client-controlled.",
		Fix:         "Make the edge proxy overwrite `X-Forwarded-Proto` and `X-Forwarded-Host` and append to `X-Forwarded-For`; read the client address from the right-most entry added by a trusted proxy, as portcullis does when its trusted-proxy list is set.",
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc7239#section-8",
			mdnHeaders + "X-Forwarded-For",
			"https://adam-p.ca/blog/2022/03/x-forwarded-for/",
		},
	},
	{
		ID: "proxy.underscore-headers", Category: Proxy, Severity: Medium,
		Title:       "Request header names with underscores reach the application",
		Description: "CGI, WSGI and FastCGI servers (gunicorn, uWSGI, PHP-FPM) turn `-` into `_` in header names, so a client's `X_Forwarded_For` arrives as `HTTP_X_FORWARDED_FOR`, beside or merged with the value the proxy set. The application then trusts an address, scheme or host the client chose.",
		Fix:         "Drop request headers whose names contain `_` at the edge: portcullis does by default (`requests.allow_underscore_headers = false`); nginx's `underscores_in_headers off` is its default too.",
		References: []string{
			"https://nginx.org/en/docs/http/ngx_http_core_module.html#underscores_in_headers",
			"https://www.rfc-editor.org/rfc/rfc3875#section-4.1.18",
		},
	},
	{
		ID: "proxy.unsafe-methods", Category: Proxy, Severity: Low,
		Title:       "TRACE, TRACK or CONNECT requests reach the application",
		Description: "`TRACE` and `TRACK` echo the request, credentials included, back to whoever sent it (cross-site tracing); `CONNECT` asks the server to open a tunnel. Few applications serve them, and passing them on leaves each application to refuse them itself.",
		Fix:         "Answer unused methods with 405 at the edge: portcullis passes only GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS by default (`requests.methods`).",
		References: []string{
			rfc9110 + "#section-9.3.8",
			"https://owasp.org/www-community/attacks/Cross_Site_Tracing",
		},
	},

	// ---- redirect ----
	{
		ID: "redirect.missing", Category: Redirect, Severity: High, Django: "security.W008",
		Title:       "Plain HTTP is served without redirecting to HTTPS",
		Description: "Requests over unencrypted HTTP get a normal response instead of a redirect to HTTPS, so users who type the bare domain or follow an `http://` link keep browsing without encryption. Anything they send or receive, session cookies included, can be read or altered on the network.",
		Fix:         "Redirect every plain-HTTP request to the same URL on `https://` with a permanent redirect (enable the HTTPS redirect in portcullis or at the load balancer), then add HSTS.",
		References: []string{
			rfc6797 + "#section-7.2",
			owaspTLS,
			mdnRedirects,
			djangoSettings + "#secure-ssl-redirect",
		},
	},
	{
		ID: "redirect.http-unreachable", Category: Redirect, Severity: Low,
		Title:       "Plain HTTP does not answer, so typed addresses get no redirect",
		Description: "Nothing answers `http://` on the port users reach by typing the bare name, so a browser that tries plain HTTP first (every one without HTTPS-first mode, for a name not yet pinned by HSTS) shows a connection error instead of being redirected to HTTPS. It is low, not higher: nothing is served in clear text, an attacker on the network can answer port 80 whether or not the server does (only preloaded HSTS stops that), hstspreload.org accepts a site that does not listen on port 80, and an API may refuse plain HTTP on purpose.",
		Fix:         "Listen on port 80 and answer every request with a permanent redirect to the same URL on `https://` (portcullis does this on its HTTP listener); leave it closed only for an API whose clients never type its address.",
		References: []string{
			rfc6797 + "#section-7.2",
			hstsPreload,
			"https://blog.chromium.org/2021/03/a-safer-default-for-navigation-https.html",
			mdnRedirects,
		},
	},
	{
		ID: "redirect.not-permanent", Category: Redirect, Severity: Low,
		Title:       "HTTP-to-HTTPS redirect is not permanent",
		Description: "The redirect to HTTPS uses a temporary status (302, 303 or 307), so browsers and caches keep requesting the plain-HTTP URL first and search engines keep indexing it. Every such request is another chance for a network attacker to intercept the user.",
		Fix:         "Use 301 Moved Permanently or 308 Permanent Redirect (which preserves the method and body) for the HTTP-to-HTTPS redirect.",
		References: []string{
			rfc9110 + "#section-15.4.2",
			rfc9110 + "#section-15.4.9",
			mdnRedirects,
		},
	},
	{
		ID: "redirect.not-same-host-first", Category: Redirect, Severity: Low,
		Title:       "First redirect does not go to HTTPS on the same host",
		Description: "The first hop from `http://` goes to another host (for example from `http://example.com` to `https://www.example.com`) or stays on HTTP, so the browser never receives an HSTS header for the original host. The HSTS preload list requires the first redirect to go to `https://` on the same host.",
		Fix:         "Redirect `http://host/` to `https://host/` first, and only then to another host such as `www`.",
		References: []string{
			hstsPreload,
			rfc6797 + "#section-7.2",
		},
	},
	{
		ID: "redirect.downgrade", Category: Redirect, Severity: High,
		Title:       "Redirect downgrades from HTTPS to HTTP",
		Description: "A response served over HTTPS redirects to an `http://` URL, exposing the next request, its URL and any cookie without `Secure` to anyone on the network. It usually means the application behind a TLS-terminating proxy does not know the original scheme.",
		Fix:         "Build redirect URLs with the `https` scheme or use relative `Location` values; behind a TLS-terminating proxy, trust its `X-Forwarded-Proto` in portcullis so the application sees the original scheme.",
		References: []string{
			owaspTLS,
			mdnRedirects,
			rfc6797 + "#section-7.2",
		},
	},
	{
		ID: "redirect.cross-site", Category: Redirect, Severity: Low,
		Title:       "Redirect leaves the site",
		Description: "A redirect in the chain sends the browser to a different site (registrable domain) than the one requested. That is expected for a deliberate move, but when the target comes from request input it is an open redirect that phishing campaigns can abuse.",
		Fix:         "Confirm the destination is intended; redirect only to fixed or allow-listed destinations, never to a URL taken unchecked from a query parameter or header.",
		References: []string{
			owaspCS + "Unvalidated_Redirects_and_Forwards_Cheat_Sheet.html",
			"https://cwe.mitre.org/data/definitions/601.html",
		},
	},
	{
		ID: "redirect.chain-long", Category: Redirect, Severity: Low,
		Title:       "Redirect chain is long",
		Description: "Reaching the final page takes more than two redirects, which slows every first visit and gives a network attacker more hops to tamper with when some are plain HTTP. Browsers give up after 20 redirects.",
		Fix:         "Redirect straight to the final canonical `https://` URL: one hop from HTTP to HTTPS on the same host, at most one more to the canonical host.",
		References: []string{
			"https://fetch.spec.whatwg.org/#http-redirect-fetch",
			mdnRedirects,
		},
	},
	{
		ID: "redirect.http-form-action", Category: Redirect, Severity: High,
		Title:       "Form on an HTTPS page submits to plain HTTP",
		Description: "A `<form>` on a page served over HTTPS has an `action` URL with the `http://` scheme, so whatever the user types, often credentials, is sent unencrypted. Browsers warn about such forms, but many users submit anyway.",
		Fix:         "Point the form's `action` at an `https://` or relative URL; the CSP directives `form-action` and `upgrade-insecure-requests` help enforce it.",
		References: []string{
			mixedContent,
			mdnCSP + "/form-action",
			owaspTLS,
		},
	},

	// ---- hsts ----
	{
		ID: "hsts.missing", Category: HSTS, Severity: Medium, Django: "security.W004",
		Title:       "No Strict-Transport-Security header",
		Description: "HTTPS responses carry no `Strict-Transport-Security` header, so browsers keep trying plain HTTP first and a network attacker can strip TLS from the user's next visit (SSL stripping).",
		Fix:         "Send `Strict-Transport-Security: max-age=31536000; includeSubDomains` on every HTTPS response (HSTS is on by default in portcullis); start with a short max-age if you are unsure every subdomain supports HTTPS.",
		References: []string{
			rfc6797,
			owaspHSTS,
			mdnHeaders + "Strict-Transport-Security",
			djangoSettings + "#secure-hsts-seconds",
		},
	},
	{
		ID: "hsts.max-age-short", Category: HSTS, Severity: Low,
		Title:       "HSTS max-age is shorter than one year",
		Description: "The `max-age` directive is below 31536000 seconds (one year), so browsers forget the policy quickly and users are exposed to SSL stripping again between visits. `max-age=0` removes the policy altogether.",
		Fix:         "Raise `max-age` to at least 31536000 (one year) once the site works reliably over HTTPS; two years (63072000) is common.",
		References: []string{
			rfc6797 + "#section-6.1.1",
			hstsPreload,
			mdnHeaders + "Strict-Transport-Security",
		},
	},
	{
		ID: "hsts.no-subdomains", Category: HSTS, Severity: Low, Django: "security.W005",
		Title:       "HSTS policy does not include subdomains",
		Description: "Without `includeSubDomains` the policy covers only this exact host, so an attacker can use a plain-HTTP subdomain to set or overwrite cookies for the parent domain or to phish users.",
		Fix:         "Add `includeSubDomains` to the HSTS settings in portcullis once every subdomain serves HTTPS.",
		References: []string{
			rfc6797 + "#section-6.1.2",
			owaspHSTS,
			djangoSettings + "#secure-hsts-include-subdomains",
		},
	},
	{
		ID: "hsts.no-preload", Category: HSTS, Severity: Info, Django: "security.W021",
		Title:       "HSTS policy does not request preloading",
		Description: "The header has no `preload` directive, so the domain cannot be added to the HSTS preload list built into browsers and each user's very first visit remains open to SSL stripping.",
		Fix:         "If every subdomain will support HTTPS permanently, add `preload` (with `includeSubDomains` and a max-age of at least one year) and submit the domain at hstspreload.org; removal from the list is slow, so decide carefully.",
		References: []string{
			hstsPreload,
			mdnHeaders + "Strict-Transport-Security",
			djangoSettings + "#secure-hsts-preload",
		},
	},
	{
		ID: "hsts.preload-ineligible", Category: HSTS, Severity: Low,
		Title:       "HSTS preload is requested but the requirements are not met",
		Description: "The header carries `preload`, but the domain fails a preload-list requirement: a max-age under one year, no `includeSubDomains`, no HSTS header on the registrable domain, or a first HTTP redirect that does not go to HTTPS on the same host. Submission will be rejected, and the directive has no effect on its own.",
		Fix:         "Meet every requirement listed at hstspreload.org (valid certificate, same-host HTTP-to-HTTPS redirect, `max-age=31536000; includeSubDomains; preload` on the registrable domain) or remove `preload`.",
		References: []string{
			hstsPreload,
			owaspHSTS,
		},
	},
	{
		ID: "hsts.multiple", Category: HSTS, Severity: Low,
		Title:       "Multiple Strict-Transport-Security headers",
		Description: "The response carries more than one `Strict-Transport-Security` header field; browsers process only the first, so the effective policy may not be the one intended. It usually means both the application and a proxy add the header.",
		Fix:         "Set HSTS in exactly one place, either in portcullis or at the proxy, and remove the other.",
		References: []string{
			rfc6797 + "#section-8.1",
		},
	},
	{
		ID: "hsts.invalid", Category: HSTS, Severity: Medium,
		Title:       "Strict-Transport-Security header is malformed",
		Description: "The header does not follow the RFC 6797 syntax (a missing or non-numeric `max-age`, a repeated directive, bad quoting), so browsers ignore it and the site behaves as if HSTS were off.",
		Fix:         "Send a well-formed value such as `max-age=31536000; includeSubDomains`, preferably generated by portcullis rather than written by hand.",
		References: []string{
			rfc6797 + "#section-6.1",
			mdnHeaders + "Strict-Transport-Security",
		},
	},
	{
		ID: "hsts.over-http", Category: HSTS, Severity: Info,
		Title:       "HSTS header sent over plain HTTP",
		Description: "A `Strict-Transport-Security` header arrived on an unencrypted response, where browsers must ignore it because a network attacker could have added or removed it. It does no harm, but it protects nobody either.",
		Fix:         "Nothing to fix on the HTTP side; redirect plain HTTP to HTTPS and make sure the HTTPS responses carry the header.",
		References: []string{
			rfc6797 + "#section-7.2",
			rfc6797 + "#section-8.1",
		},
	},
	{
		ID: "hsts.local-host", Category: HSTS, Severity: Info,
		Title:       "HSTS and a local host name or IP address",
		Description: "The target is `localhost`, a `.localhost` name or an IP literal, for which portcullis deliberately omits HSTS. Browsers never apply HSTS to IP addresses (RFC 6797 section 8.1). For `localhost` they differ: Chromium ignores it since version 132, but Firefox and Safari apply it like anywhere else, so a header sent once forces HTTPS on every development server on `localhost` for max-age.",
		Fix:         "For an IP address, nothing to do. For `localhost`, do not send HSTS (portcullis never does). Audit the public host name to check HSTS.",
		References: []string{
			rfc6797 + "#section-8.1",
			"https://groups.google.com/a/chromium.org/g/blink-dev/c/WJnjKYY2iSs",
		},
	},

	// ---- cookies ----
	{
		ID: "cookie.secure-missing", Category: Cookies, Severity: Medium, Django: "security.W012",
		Title:       "Cookie set without the Secure attribute",
		Description: "A cookie set by an HTTPS site lacks `Secure`, so the browser also sends it over plain HTTP, where a network attacker can read it. Session and CSRF cookies matter most (Django checks W012 and W016).",
		Fix:         "Add `Secure` to every cookie of an HTTPS site; portcullis cookie hardening can add it to outgoing `Set-Cookie` headers.",
		References: []string{
			rfc6265bis,
			mdnHeaders + "Set-Cookie",
			owaspSession,
			djangoSettings + "#session-cookie-secure",
		},
	},
	{
		ID: "cookie.httponly-missing", Category: Cookies, Severity: Medium, Django: "security.W015",
		Title:       "Session cookie readable from JavaScript (no HttpOnly)",
		Description: "A cookie whose name suggests a session or authentication token lacks `HttpOnly`, so any cross-site scripting flaw can read it through `document.cookie` and hijack the session.",
		Fix:         "Add `HttpOnly` to session and authentication cookies (portcullis cookie hardening can add it); omit it only for cookies that client-side code must read.",
		References: []string{
			owaspSession,
			mdnHeaders + "Set-Cookie",
			rfc6265bis,
			djangoSettings + "#session-cookie-httponly",
		},
	},
	{
		ID: "cookie.samesite-missing", Category: Cookies, Severity: Low,
		Title:       "Cookie set without a SameSite attribute",
		Description: "Without `SameSite` the cookie's cross-site behaviour depends on the browser: some default to `Lax`, others still attach it to cross-site requests, which leaves CSRF protection to chance.",
		Fix:         "Set `SameSite=Lax` explicitly (or `Strict` for cookies never needed on cross-site navigation); use `None` only with `Secure`, for cookies that must work in cross-site contexts.",
		References: []string{
			rfc6265bis,
			samesiteWebDev,
			mdnHeaders + "Set-Cookie",
		},
	},
	{
		ID: "cookie.samesite-none-insecure", Category: Cookies, Severity: Medium,
		Title:       "SameSite=None cookie without Secure",
		Description: "A cookie with `SameSite=None` lacks `Secure`: current browsers reject such cookies outright, and older ones send them over plain HTTP on cross-site requests.",
		Fix:         "Add `Secure` to every `SameSite=None` cookie, or use `SameSite=Lax` if cross-site delivery is not needed.",
		References: []string{
			rfc6265bis,
			samesiteWebDev,
			mdnHeaders + "Set-Cookie",
		},
	},
	{
		ID: "cookie.prefix-invalid", Category: Cookies, Severity: Medium,
		Title:       "Cookie name prefix requirements are not met",
		Description: "A `__Secure-` cookie lacks `Secure`, or a `__Host-` cookie lacks `Secure`, has a `Domain` attribute or a `Path` other than `/`, so browsers reject it and the protection the prefix promises is lost.",
		Fix:         "Give `__Secure-` cookies the `Secure` attribute and `__Host-` cookies `Secure; Path=/` without `Domain`, or rename the cookie.",
		References: []string{
			rfc6265bis,
			mdnHeaders + "Set-Cookie#cookie_prefixes",
		},
	},

	// ---- headers ----
	{
		ID: "header.frame-options-missing", Category: Headers, Severity: Medium, Django: "security.W002",
		Title:       "Page can be framed by other sites (clickjacking)",
		Description: "The response has neither `X-Frame-Options` nor a CSP `frame-ancestors` directive, so any site can embed the page in a frame and trick users into clicking on it.",
		Fix:         "Send `X-Frame-Options: DENY` or CSP `frame-ancestors 'none'` (both can be enabled in portcullis); allow framing by the same origin or listed origins only for pages that need it.",
		References: []string{
			owaspClickjack,
			"https://www.rfc-editor.org/rfc/rfc7034",
			mdnHeaders + "X-Frame-Options",
			mdnCSP + "/frame-ancestors",
		},
	},
	{
		ID: "header.frame-options-weak", Category: Headers, Severity: Low, Django: "security.W019",
		Title:       "X-Frame-Options is not DENY",
		Description: "`X-Frame-Options` is `SAMEORIGIN`, which still lets any page of the same origin frame this one, or the obsolete `ALLOW-FROM`, which modern browsers ignore entirely.",
		Fix:         "Use `X-Frame-Options: DENY` unless the site frames its own pages, and express finer-grained needs with CSP `frame-ancestors`.",
		References: []string{
			mdnHeaders + "X-Frame-Options",
			"https://www.rfc-editor.org/rfc/rfc7034",
			"https://docs.djangoproject.com/en/stable/ref/clickjacking/",
		},
	},
	{
		ID: "header.nosniff-missing", Category: Headers, Severity: Low, Django: "security.W006",
		Title:       "X-Content-Type-Options: nosniff is missing",
		Description: "Without `X-Content-Type-Options: nosniff` browsers may guess (sniff) a response's type, so a user-uploaded file served as text or as an image can be run as script or rendered as HTML.",
		Fix:         "Send `X-Content-Type-Options: nosniff` on every response (a standard portcullis header) and set an accurate `Content-Type`.",
		References: []string{
			"https://fetch.spec.whatwg.org/#x-content-type-options-header",
			mdnHeaders + "X-Content-Type-Options",
			owaspHeaders,
		},
	},
	{
		ID: "header.referrer-policy-missing", Category: Headers, Severity: Low, Django: "security.W022",
		Title:       "No Referrer-Policy header",
		Description: "Without a `Referrer-Policy` the browser default applies, and older browsers send the full URL, including paths and query strings that may hold tokens, to other sites.",
		Fix:         "Send `Referrer-Policy: strict-origin-when-cross-origin` or a stricter value such as `same-origin` or `no-referrer`.",
		References: []string{
			referrerPolicy,
			mdnHeaders + "Referrer-Policy",
			owaspHeaders,
			djangoSettings + "#secure-referrer-policy",
		},
	},
	{
		ID: "header.referrer-policy-unsafe", Category: Headers, Severity: Medium,
		Title:       "Referrer-Policy leaks full URLs to other sites",
		Description: "The policy is `unsafe-url` or `no-referrer-when-downgrade`, which send the full URL, with path and query string, to other origins; `unsafe-url` even sends it over plain HTTP. Tokens and personal data in URLs then leak to third parties.",
		Fix:         "Use `strict-origin-when-cross-origin`, `same-origin` or `no-referrer`.",
		References: []string{
			referrerPolicy,
			mdnHeaders + "Referrer-Policy",
		},
	},
	{
		ID: "header.referrer-policy-invalid", Category: Headers, Severity: Low, Django: "security.E023",
		Title:       "Referrer-Policy value is not recognised",
		Description: "The `Referrer-Policy` header contains no token browsers recognise, so they ignore it and apply their default. A typo such as `origin-when-crossorigin` is the usual cause.",
		Fix:         "Use the tokens defined by the Referrer Policy specification, such as `strict-origin-when-cross-origin`; when listing fallbacks, separate them with commas and put the preferred value last.",
		References: []string{
			referrerPolicy,
			mdnHeaders + "Referrer-Policy",
		},
	},
	{
		ID: "header.coop-missing", Category: Headers, Severity: Low,
		Title:       "No Cross-Origin-Opener-Policy header",
		Description: "Without `Cross-Origin-Opener-Policy` a page opened from or opening another site shares a browsing context group with it, so that site keeps a `window` reference usable for cross-window attacks (XS-Leaks) and the page cannot get process isolation.",
		Fix:         "Send `Cross-Origin-Opener-Policy: same-origin` (Django's default), or `same-origin-allow-popups` if the page relies on popups such as OAuth or payment windows.",
		References: []string{
			htmlCOOP,
			mdnHeaders + "Cross-Origin-Opener-Policy",
			"https://xsleaks.dev/",
		},
	},
	{
		ID: "header.coop-invalid", Category: Headers, Severity: Low, Django: "security.E024",
		Title:       "Cross-Origin-Opener-Policy value is not recognised",
		Description: "The header's value is not one of `unsafe-none`, `same-origin-allow-popups`, `same-origin` or `noopener-allow-popups`, so browsers ignore it and apply `unsafe-none`.",
		Fix:         "Send exactly `same-origin` (or `same-origin-allow-popups`), unquoted, optionally followed by a `report-to` parameter.",
		References: []string{
			htmlCOOP,
			mdnHeaders + "Cross-Origin-Opener-Policy",
			djangoSettings + "#secure-cross-origin-opener-policy",
		},
	},
	{
		ID: "header.corp-missing", Category: Headers, Severity: Info,
		Title:       "No Cross-Origin-Resource-Policy header",
		Description: "Without `Cross-Origin-Resource-Policy` other sites can embed this response through `<img>`, `<script>` and similar elements, and side channels such as Spectre may leak its contents into their processes. It matters most for authenticated, user-specific resources.",
		Fix:         "Send `Cross-Origin-Resource-Policy: same-origin` (or `same-site`) on private resources, and `cross-origin` on assets meant to be embedded elsewhere.",
		References: []string{
			"https://fetch.spec.whatwg.org/#cross-origin-resource-policy-header",
			mdnHeaders + "Cross-Origin-Resource-Policy",
		},
	},
	{
		ID: "header.xss-protection-enabled", Category: Headers, Severity: Info,
		Title:       "Legacy XSS filter is enabled (X-XSS-Protection)",
		Description: "`X-XSS-Protection: 1` turns on the XSS auditor of old browsers, which was removed from current ones because attackers could abuse its selective blocking to leak data from pages. It protects nobody today.",
		Fix:         "Send `X-XSS-Protection: 0` or omit the header, and rely on a Content-Security-Policy instead.",
		References: []string{
			mdnHeaders + "X-XSS-Protection",
			owaspHeaders + "#x-xss-protection",
		},
	},
	{
		ID: "header.permissions-policy-missing", Category: Headers, Severity: Low,
		Title:       "No Permissions-Policy header",
		Description: "Without `Permissions-Policy` powerful browser features (camera, microphone, geolocation, payment and others) stay available to the page and to every frame it embeds, so injected or third-party content can request them.",
		Fix:         "Send a `Permissions-Policy` that disables the features the site does not use, for example `camera=(), microphone=(), geolocation=()` (portcullis can build the header).",
		References: []string{
			"https://www.w3.org/TR/permissions-policy/",
			mdnHeaders + "Permissions-Policy",
			owaspHeaders,
		},
	},
	{
		ID: "header.server-version", Category: Headers, Severity: Low,
		Title:       "Server software version is disclosed",
		Description: "A `Server`, `X-Powered-By` or similar header reveals product names and version numbers, which lets attackers look up known vulnerabilities of that exact version without probing.",
		Fix:         "Remove version numbers from `Server` and drop `X-Powered-By`-style headers in the application or at the proxy.",
		References: []string{
			rfc9110 + "#section-10.2.4",
			"https://owasp.org/www-project-web-security-testing-guide/latest/4-Web_Application_Security_Testing/01-Information_Gathering/02-Fingerprint_Web_Server",
			owaspHeaders,
		},
	},
	{
		ID: "header.cache-shared-private", Category: Headers, Severity: High,
		Title:       "A shared cache may store a response that sets a cookie or is private",
		Description: "A response that sets a cookie allows shared caches to store it (`Cache-Control: public`, `s-maxage`, or `max-age` without `private`), or a sensitive page is marked `public`, so a CDN or caching proxy can serve one visitor's session cookie or page to the next. Behind a CDN, a cookie-setting response without `private` or `no-store` depends on the CDN's defaults not to be shared.",
		Fix:         "Send `Cache-Control: private, no-store` (Django: `never_cache`) on every response that sets a cookie and on pages for one user, and let the CDN cache only static, cookie-free responses.",
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2.7",
			"https://www.rfc-editor.org/rfc/rfc9111#section-3",
			owaspSession,
		},
	},

	// ---- csp ----
	{
		ID: "csp.missing", Category: CSP, Severity: Medium,
		Title:       "No Content-Security-Policy",
		Description: "The page is served without a `Content-Security-Policy`, so a single HTML-injection flaw lets an attacker run arbitrary script. A CSP is the main defence in depth against cross-site scripting.",
		Fix:         "Deploy a strict policy based on nonces or hashes, such as `script-src 'nonce-...' 'strict-dynamic'; object-src 'none'; base-uri 'none'`, trying it first as `Content-Security-Policy-Report-Only`; portcullis can send both headers.",
		References: []string{
			csp3,
			mdnCSP,
			owaspCSP,
			strictCSP,
		},
	},
	{
		ID: "csp.unsafe-inline", Category: CSP, Severity: Medium,
		Title:       "CSP allows inline script (`'unsafe-inline'`)",
		Description: "`'unsafe-inline'` in `script-src` (or `default-src`) lets every inline `<script>` and event-handler attribute run, which is exactly what most XSS payloads use. Browsers ignore it when the same directive also has a nonce or hash.",
		Fix:         "Replace `'unsafe-inline'` with per-response nonces or hashes; keep it only as a fallback for old browsers next to a nonce.",
		References: []string{
			mdnCSP + "/script-src",
			strictCSP,
			cspEvaluator,
		},
	},
	{
		ID: "csp.unsafe-eval", Category: CSP, Severity: Medium,
		Title:       "CSP allows eval (`'unsafe-eval'`)",
		Description: "`'unsafe-eval'` lets scripts turn strings into code with `eval()`, `new Function()` and string arguments to `setTimeout()`, so attacker data that reaches one of these sinks runs as script.",
		Fix:         "Remove `'unsafe-eval'` and refactor (or replace) code that builds code from strings; `'wasm-unsafe-eval'` covers WebAssembly alone.",
		References: []string{
			mdnCSP + "/script-src",
			owaspCSP,
			cspEvaluator,
		},
	},
	{
		ID: "csp.wildcard-source", Category: CSP, Severity: Medium,
		Title:       "CSP source list contains a bare wildcard (`*`)",
		Description: "A bare `*` in `script-src`, `object-src` or `default-src` allows loading from any host on the internet, so an attacker can host the payload anywhere and the policy does not stop it.",
		Fix:         "List the specific hosts the page loads from, or better, use nonces with `'strict-dynamic'`.",
		References: []string{
			csp3,
			mdnCSP,
			cspEvaluator,
		},
	},
	{
		ID: "csp.scheme-source", Category: CSP, Severity: Medium,
		Title:       "CSP allows a whole scheme (`https:`, `http:`, `data:`)",
		Description: "A scheme-only source such as `https:`, `http:` or `data:` in a script-capable directive allows content from every host with that scheme, or inline `data:` URLs, so it restricts almost nothing.",
		Fix:         "Replace scheme sources with specific hosts or nonces; keep `https:` only as a fallback next to `'strict-dynamic'`, which makes current browsers ignore it.",
		References: []string{
			csp3,
			strictCSP,
			cspEvaluator,
		},
	},
	{
		ID: "csp.object-src-missing", Category: CSP, Severity: Low,
		Title:       "CSP does not restrict plugins (`object-src`)",
		Description: "Neither `object-src` nor `default-src` is set, so `<object>` and `<embed>` may load content from anywhere, a long-standing way around script restrictions.",
		Fix:         "Add `object-src 'none'`.",
		References: []string{
			mdnCSP + "/object-src",
			strictCSP,
			cspEvaluator,
		},
	},
	{
		ID: "csp.base-uri-missing", Category: CSP, Severity: Low,
		Title:       "CSP does not restrict the `<base>` element (`base-uri`)",
		Description: "Without `base-uri` an injected `<base href>` element can redirect every relative script URL on the page to an attacker's host, which also defeats nonce-based policies. `default-src` does not cover `base-uri`.",
		Fix:         "Add `base-uri 'none'`, or `base-uri 'self'` if the page uses a `<base>` element.",
		References: []string{
			mdnCSP + "/base-uri",
			strictCSP,
		},
	},
	{
		ID: "csp.frame-ancestors-missing", Category: CSP, Severity: Low,
		Title:       "CSP does not set `frame-ancestors`",
		Description: "The policy has no `frame-ancestors` directive, the standard replacement for `X-Frame-Options`, so protection against framing depends on the legacy header alone. `default-src` does not cover it, and it has no effect in a `<meta>` element.",
		Fix:         "Add `frame-ancestors 'none'` (or `'self'`, or the exact origins allowed to frame the page).",
		References: []string{
			mdnCSP + "/frame-ancestors",
			owaspClickjack,
		},
	},
	{
		ID: "csp.report-only-only", Category: CSP, Severity: Medium,
		Title:       "CSP is only sent in report-only mode",
		Description: "The site sends `Content-Security-Policy-Report-Only` but no enforcing `Content-Security-Policy`, so violations are reported and nothing is blocked. That suits a trial period but offers no protection against XSS.",
		Fix:         "Once the reports are clean, send the policy as `Content-Security-Policy`, keeping a report-only policy alongside for the next iteration if you like.",
		References: []string{
			mdnHeaders + "Content-Security-Policy-Report-Only",
			csp3,
		},
	},
	{
		ID: "csp.invalid", Category: CSP, Severity: Medium,
		Title:       "Content-Security-Policy contains errors",
		Description: "The policy has syntax errors, unknown directives, unquoted keywords (`self` instead of `'self'`) or directives where they are not allowed, so browsers ignore those parts and the effective policy is weaker than it reads.",
		Fix:         "Correct the reported directive: keywords and nonces take single quotes and directives are separated by `;`. Building the policy with portcullis avoids these mistakes.",
		References: []string{
			csp3,
			mdnCSP,
			cspEvaluator,
		},
	},
	{
		ID: "csp.strict-dynamic-without-nonce", Category: CSP, Severity: Low,
		Title:       "`'strict-dynamic'` is used without a nonce or hash",
		Description: "With `'strict-dynamic'`, current browsers ignore host and scheme sources and `'self'` and trust only scripts carrying a valid nonce or hash; with neither present they block every script, while older browsers still apply the host list. The page breaks or is protected differently in each browser.",
		Fix:         "Add a per-response `'nonce-...'` source (or script hashes) to `script-src` next to `'strict-dynamic'`, with the matching `nonce` attribute on every `<script>` element.",
		References: []string{
			csp3 + "#strict-dynamic-usage",
			strictCSP,
			mdnCSP + "/script-src",
		},
	},

	// ---- permissions ----
	{
		ID: "permissions.invalid", Category: Permissions, Severity: Low,
		Title:       "Permissions-Policy header is malformed",
		Description: "The `Permissions-Policy` header is not a valid structured-field dictionary or names unknown features, so browsers drop the whole header (or the unknown entries) and the features stay enabled. The old `Feature-Policy` syntax (`camera 'none'`) is a common cause.",
		Fix:         "Use the structured-field syntax with known feature names, for example `camera=(), geolocation=(self)`; portcullis can generate the header from configuration.",
		References: []string{
			"https://www.w3.org/TR/permissions-policy/",
			mdnHeaders + "Permissions-Policy",
			"https://www.rfc-editor.org/rfc/rfc9651",
		},
	},

	// ---- cors ----
	{
		ID: "cors.wildcard-credentials", Category: CORS, Severity: High,
		Title:       "CORS allows any origin together with credentials",
		Description: "The configuration allows every origin (`*`) and `Access-Control-Allow-Credentials: true`. Browsers refuse that literal combination, so servers that want it echo the request's `Origin` instead, letting any website read authenticated responses on the user's behalf.",
		Fix:         "Allow credentials only for an explicit list of trusted origins; keep `*` for public, credential-less resources.",
		References: []string{
			fetchCORS,
			mdnCORS,
			portswiggerCORS,
		},
	},
	{
		ID: "cors.origin-reflected", Category: CORS, Severity: High,
		Title:       "CORS reflects arbitrary origins",
		Description: "The server copies any request `Origin` into `Access-Control-Allow-Origin`, so every website may read its responses; with `Access-Control-Allow-Credentials: true` that includes the user's private data.",
		Fix:         "Compare `Origin` against an exact allow-list (scheme, host and port) before echoing it, and send `Vary: Origin`.",
		References: []string{
			portswiggerCORS,
			"https://owasp.org/www-project-web-security-testing-guide/latest/4-Web_Application_Security_Testing/11-Client-side_Testing/07-Testing_Cross_Origin_Resource_Sharing",
			mdnHeaders + "Access-Control-Allow-Origin",
		},
	},
	{
		ID: "cors.null-origin", Category: CORS, Severity: Medium,
		Title:       "CORS allows the null origin",
		Description: "`Access-Control-Allow-Origin: null` is granted, but any site can send `Origin: null` from a sandboxed iframe or a `data:` URL, so this trusts everyone.",
		Fix:         "Remove `null` from the allowed origins; serve local or sandboxed clients from a real origin instead.",
		References: []string{
			portswiggerCORS,
			mdnHeaders + "Access-Control-Allow-Origin",
			fetchCORS,
		},
	},
	{
		ID: "cors.wildcard", Category: CORS, Severity: Low,
		Title:       "CORS allows any origin (`*`)",
		Description: "`Access-Control-Allow-Origin: *` lets every website read these responses, without cookies. That is right for public data and assets, but exposes anything protected only by network position or IP address, such as intranet endpoints.",
		Fix:         "Keep `*` for public resources only; otherwise list the origins that need access.",
		References: []string{
			mdnHeaders + "Access-Control-Allow-Origin",
			fetchCORS,
			portswiggerCORS,
		},
	},

	// ---- csrf ----
	{
		ID: "csrf.cross-origin-unprotected", Category: CSRF, Severity: High, Django: "security.W003",
		Title:       "Unsafe cross-origin requests are not checked (CSRF)",
		Description: "State-changing requests (POST, PUT, PATCH, DELETE) from other origins are accepted without checking `Sec-Fetch-Site`, `Origin` or a CSRF token, so any website a logged-in user visits can act on their behalf.",
		Fix:         "Enable cross-origin protection in portcullis, which rejects unsafe requests whose `Sec-Fetch-Site` or `Origin` shows another origin (like Go's `http.CrossOriginProtection`), or use CSRF tokens; list trusted origins explicitly.",
		References: []string{
			owaspCS + "Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html",
			"https://www.w3.org/TR/fetch-metadata/",
			"https://pkg.go.dev/net/http#CrossOriginProtection",
			"https://words.filippo.io/csrf/",
		},
	},

	// ---- securitytxt ----
	{
		ID: "securitytxt.missing", Category: SecurityTxt, Severity: Low,
		Title:       "No security.txt file",
		Description: "`/.well-known/security.txt` does not exist, so researchers who find a vulnerability have no published way to report it and may give up or disclose it publicly. RFC 9116 exists so that reporters can find the right contact; an audit of a loopback host, which no outside reporter can reach, reports its absence as informational.",
		Fix:         "Publish `/.well-known/security.txt` with at least `Contact` and `Expires` fields; portcullis can serve it from configuration.",
		References: []string{
			rfc9116,
			"https://securitytxt.org/",
		},
	},
	{
		ID: "securitytxt.invalid", Category: SecurityTxt, Severity: Low,
		Title:       "security.txt is malformed",
		Description: "The file does not follow RFC 9116 (unknown syntax, a missing or repeated `Expires`, invalid URIs, a wrong content type or a broken signature), so automated tools may ignore it.",
		Fix:         "Correct the reported line: every field is `Name: value`, `Expires` appears exactly once as an RFC 3339 date, and the file is served as `text/plain; charset=utf-8`.",
		References: []string{
			rfc9116 + "#section-2",
			"https://securitytxt.org/",
		},
	},
	{
		ID: "securitytxt.expired", Category: SecurityTxt, Severity: Low,
		Title:       "security.txt has expired",
		Description: "The `Expires` date is in the past, so RFC 9116 says the file should be considered stale and its contact details may no longer be valid.",
		Fix:         "Update `Expires` (checking the contacts at the same time) and automate refreshing it before it lapses.",
		References: []string{
			rfc9116 + "#section-2.5.5",
		},
	},
	{
		ID: "securitytxt.expires-too-far", Category: SecurityTxt, Severity: Info,
		Title:       "security.txt expiry is more than a year away",
		Description: "RFC 9116 recommends an `Expires` value less than a year in the future, so that stale files age out; a distant date lets outdated contacts linger.",
		Fix:         "Set `Expires` less than a year ahead and refresh it regularly.",
		References: []string{
			rfc9116 + "#section-2.5.5",
		},
	},
	{
		ID: "securitytxt.canonical-mismatch", Category: SecurityTxt, Severity: Low,
		Title:       "security.txt Canonical fields do not list its own URL",
		Description: "The file has `Canonical` fields, but none matches the URL it was fetched from, which suggests it was copied from another site and its contents may not apply here.",
		Fix:         "Add the file's own `https://` URL as a `Canonical` field or correct the existing ones.",
		References: []string{
			rfc9116 + "#section-2.5.2",
		},
	},
	{
		ID: "securitytxt.not-https", Category: SecurityTxt, Severity: Low,
		Title:       "security.txt is not served over HTTPS",
		Description: "The file is only available over plain HTTP, but RFC 9116 requires HTTPS, because a network attacker could otherwise replace the contact details and intercept vulnerability reports.",
		Fix:         "Serve `/.well-known/security.txt` over HTTPS.",
		References: []string{
			rfc9116 + "#section-3",
		},
	},
	{
		ID: "securitytxt.contact-missing", Category: SecurityTxt, Severity: Low,
		Title:       "security.txt has no Contact field",
		Description: "The required `Contact` field is absent, so the file gives researchers no way to report a vulnerability.",
		Fix:         "Add at least one `Contact` field with a `mailto:`, `https://` or `tel:` URI.",
		References: []string{
			rfc9116 + "#section-2.5.3",
		},
	},

	// ---- tls ----
	{
		ID: "tls.no-https", Category: TLS, Severity: Critical,
		Title:       "The site is not served over HTTPS",
		Description: "Nothing answers HTTPS while the site is served over plain HTTP, so every page, form and cookie, credentials included, crosses the network in clear text where anyone on the path can read and change it. Browsers mark such pages Not Secure, and none of the HTTPS protections (HSTS, Secure cookies, the certificate) can apply.",
		Fix:         "Serve the site over HTTPS with a certificate from a public CA (portcullis obtains one through ACME), then redirect plain HTTP to it and add HSTS.",
		References: []string{
			owaspTLS,
			"https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring",
			"https://www.rfc-editor.org/rfc/rfc8555",
		},
	},
	{
		ID: "tls.legacy-protocol", Category: TLS, Severity: High,
		Title:       "Legacy protocol version enabled (SSL 3.0, TLS 1.0 or 1.1)",
		Description: "The server accepts SSL 3.0, TLS 1.0 or TLS 1.1, which are deprecated and exposed to attacks such as POODLE and BEAST. Current browsers no longer use them, so they serve only outdated clients and downgrade attacks.",
		Fix:         "Accept only TLS 1.2 and 1.3, the default of Go's crypto/tls; do not lower the minimum version in the portcullis TLS settings.",
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc8996",
			"https://www.rfc-editor.org/rfc/rfc7568",
			rfc9325,
			mozillaTLS,
		},
	},
	{
		ID: "tls.no-tls13", Category: TLS, Severity: Low,
		Title:       "TLS 1.3 is not supported",
		Description: "The server does not negotiate TLS 1.3, missing its faster handshake, mandatory forward secrecy and removal of legacy algorithms.",
		Fix:         "Enable TLS 1.3; Go's crypto/tls, and so portcullis, supports it unless the maximum version is capped, so also check any proxy or load balancer in front.",
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc8446",
			mozillaTLS,
		},
	},
	{
		ID: "tls.weak-cipher", Category: TLS, Severity: High,
		Title:       "Weak cipher suite enabled",
		Description: "The server accepts a cipher suite with NULL encryption, anonymous key exchange, export-grade keys, RC4, 3DES or single DES, all of which can be broken or bypassed in practice (FREAK, RC4 biases, SWEET32).",
		Fix:         "Remove these suites and follow the Mozilla intermediate or modern configuration.",
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc7465",
			"https://sweet32.info/",
			rfc9325,
			mozillaTLS,
		},
	},
	{
		ID: "tls.cbc-cipher", Category: TLS, Severity: Low,
		Title:       "CBC-mode cipher suite enabled",
		Description: "The server accepts TLS 1.2 suites in CBC mode, whose MAC-then-encrypt construction has a long history of padding-oracle and timing attacks (Lucky Thirteen). AEAD suites (AES-GCM, ChaCha20-Poly1305) avoid the problem.",
		Fix:         "Allow only ECDHE suites with AES-GCM or ChaCha20-Poly1305, as in the Mozilla intermediate configuration; keep CBC only if very old clients must be served.",
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc7457",
			rfc9325,
			mozillaTLS,
		},
	},
	{
		ID: "tls.no-forward-secrecy", Category: TLS, Severity: Medium,
		Title:       "Cipher suite without forward secrecy (static RSA key exchange)",
		Description: "The server accepts suites with RSA key exchange, where session keys are encrypted with the certificate's key, so anyone who later obtains that private key can decrypt recorded traffic. These suites are also the target of Bleichenbacher-style attacks such as ROBOT.",
		Fix:         "Allow only ECDHE (or DHE with strong groups) key exchange; TLS 1.3 always provides forward secrecy.",
		References: []string{
			rfc9325,
			mozillaTLS,
			"https://robotattack.org/",
		},
	},
	{
		ID: "tls.weak-dh", Category: TLS, Severity: Medium,
		Title:       "Weak Diffie-Hellman group (< 2048 bits)",
		Description: "Finite-field DHE uses a group smaller than 2048 bits, which well-resourced attackers can break (Logjam), exposing the session keys.",
		Fix:         "Disable DHE suites or use groups of at least 2048 bits such as RFC 7919 `ffdhe2048`; prefer ECDHE.",
		References: []string{
			"https://weakdh.org/",
			"https://www.rfc-editor.org/rfc/rfc7919",
			mozillaTLS,
		},
	},
	{
		ID: "tls.must-staple-unmet", Category: TLS, Severity: High,
		Title:       "Must-staple certificate served without an OCSP response",
		Description: "The certificate carries the TLS Feature extension requiring OCSP stapling (RFC 7633, \"must-staple\"), but the server sent no stapled response, so browsers that honour the extension (Firefox) refuse the connection.",
		Fix:         "Enable OCSP stapling on the server (nginx `ssl_stapling on`, Apache `SSLUseStapling on`, Go `tls.Certificate.OCSPStaple`; certmagic staples automatically), or get a certificate without must-staple.",
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc7633",
			"https://www.rfc-editor.org/rfc/rfc6066#section-8",
		},
	},
	{
		ID: "tls.no-ocsp-stapling", Category: TLS, Severity: Info,
		Title:       "OCSP response not stapled",
		Description: "The certificate names an OCSP responder but the server does not staple a response, so clients that check revocation ask the CA themselves: slower, a soft-fail, and it tells the CA who visits the site. Certificates without an OCSP URL (Let's Encrypt's since 2025) are not concerned.",
		Fix:         "Enable OCSP stapling (nginx `ssl_stapling on`, Apache `SSLUseStapling on`, Go `tls.Certificate.OCSPStaple`; certmagic staples automatically).",
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc6066#section-8",
			"https://www.rfc-editor.org/rfc/rfc6961",
		},
	},
	{
		ID: "tls.no-h2", Category: TLS, Severity: Info,
		Title:       "HTTP/2 is not offered",
		Description: "The server does not negotiate HTTP/2 through ALPN, so clients fall back to HTTP/1.1. This affects performance, not security.",
		Fix:         "Enable HTTP/2; Go's net/http serves it over TLS automatically unless `TLSNextProto` or the protocol settings disable it.",
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc9113",
			"https://www.rfc-editor.org/rfc/rfc7301",
		},
	},
	{
		ID: "tls.no-server-preference", Category: TLS, Severity: Info,
		Title:       "Server does not enforce its cipher suite order",
		Description: "The server lets the client's preference decide the cipher suite. That is harmless, and what Mozilla recommends, when every enabled suite is strong, but lets clients pick a weak suite if any is enabled.",
		Fix:         "Enable only strong suites, which makes the order irrelevant; Go's crypto/tls orders suites itself and ignores `PreferServerCipherSuites`.",
		References: []string{
			mozillaTLS,
			"https://pkg.go.dev/crypto/tls#Config",
		},
	},
	{
		ID: "tls.weak-profile", Category: TLS, Severity: Medium,
		Title:       "Configuration selects a weak TLS profile",
		Description: "The portcullis configuration lowers the minimum TLS version below 1.2 or enables legacy cipher suites for compatibility, so every client can be downgraded to those settings.",
		Fix:         "Use the intermediate or modern profile; enable a legacy profile only for a documented population of old clients, ideally on a separate listener.",
		References: []string{
			mozillaTLS,
			mozillaTLSGen,
			rfc9325,
		},
	},

	// ---- certificate ----
	{
		ID: "cert.expired", Category: Certificate, Severity: High,
		Title:       "Certificate has expired or is not yet valid",
		Description: "The current time is outside the certificate's validity period, so browsers show a full-page error and users who click through learn to ignore security warnings.",
		Fix:         "Renew the certificate now and automate renewal with an ACME client; check the server clock if the certificate is not yet valid.",
		References: []string{
			rfc5280 + "#section-4.1.2.5",
			"https://www.rfc-editor.org/rfc/rfc8555",
		},
	},
	{
		ID: "cert.expiring", Category: Certificate, Severity: Medium,
		Title:       "Certificate expires soon",
		Description: "The certificate expires within the warning window, after which browsers refuse the connection. A renewal that has not happened by now often means the automation is broken.",
		Fix:         "Renew the certificate and check that automated renewal (ACME) works and that the server reloads the new certificate.",
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc8555",
			rfc5280 + "#section-4.1.2.5",
		},
	},
	{
		ID: "cert.hostname-mismatch", Category: Certificate, Severity: High,
		Title:       "Certificate does not match the host name",
		Description: "None of the certificate's subject alternative names covers the host name being served, so clients reject the connection, and users who click through are unprotected against impersonation.",
		Fix:         "Use a certificate whose subject alternative names include every served host name (a wildcard covers exactly one label), and check that SNI selects the right certificate.",
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc9525",
			"https://www.rfc-editor.org/rfc/rfc2818#section-3.1",
		},
	},
	{
		ID: "cert.untrusted", Category: Certificate, Severity: High,
		Title:       "Certificate chain is not trusted",
		Description: "The chain does not lead to a trusted root: an intermediate is missing, the issuing CA is private or distrusted, or the chain is out of order, so clients reject the connection or show a warning.",
		Fix:         "Serve the full chain (leaf first, then intermediates) from a publicly trusted CA; for internal services, distribute the private root to the clients explicitly.",
		References: []string{
			rfc5280 + "#section-6",
			owaspTLS,
		},
	},
	{
		ID: "cert.self-signed", Category: Certificate, Severity: High,
		Title:       "Self-signed certificate",
		Description: "The certificate is signed by its own key instead of a CA, so clients cannot tell it from an attacker's certificate and users are taught to accept warnings.",
		Fix:         "Use a certificate from a public CA (free through ACME) for public sites; for development, use a local CA trusted only on developer machines.",
		References: []string{
			rfc5280 + "#section-6",
			owaspTLS,
			"https://www.rfc-editor.org/rfc/rfc8555",
		},
	},
	{
		ID: "cert.weak-key", Category: Certificate, Severity: High,
		Title:       "Certificate key is too weak",
		Description: "The certificate's key is RSA shorter than 2048 bits or elliptic-curve smaller than 256 bits, within reach of factoring or discrete-logarithm attacks and rejected by browsers and CAs.",
		Fix:         "Reissue the certificate with an ECDSA P-256 key or an RSA key of at least 2048 bits.",
		References: []string{
			"https://csrc.nist.gov/pubs/sp/800/131/a/r2/final",
			mozillaTLS,
		},
	},
	{
		ID: "cert.weak-signature", Category: Certificate, Severity: High,
		Title:       "Certificate signed with a weak algorithm (MD5 or SHA-1)",
		Description: "The certificate or an intermediate is signed with MD5 or SHA-1, for which practical collisions exist, so an attacker could forge a certificate with a valid signature; browsers reject such certificates.",
		Fix:         "Reissue the certificate with a SHA-256 or stronger signature and replace any SHA-1 intermediates.",
		References: []string{
			"https://shattered.io/",
			"https://www.rfc-editor.org/rfc/rfc6151",
			"https://csrc.nist.gov/pubs/sp/800/131/a/r2/final",
		},
	},
	{
		ID: "cert.pin-mismatch", Category: Certificate, Severity: High,
		Title:       "Certificate does not match the configured pin",
		Description: "The presented certificate's public key matches none of the SPKI pins configured for this target, which means either the key was rotated without updating the pins or the connection is being intercepted.",
		Fix:         "Verify the new key through a trusted channel and update the pins, always keeping a backup pin; investigate if the key should not have changed.",
		References: []string{
			owaspCS + "Pinning_Cheat_Sheet.html",
			"https://www.rfc-editor.org/rfc/rfc7469#section-2.4",
		},
	},
	{
		ID: "cert.key-permissions", Category: Certificate, Severity: High,
		Title:       "Private key file is readable by other users",
		Description: "The TLS private key file grants access to its group or to all users, so any other local account or compromised service on the machine can copy the key and impersonate the site.",
		Fix:         "Restrict the key file to the account that runs the server (`chmod 600`) and keep it out of shared or world-readable directories.",
		References: []string{
			"https://cwe.mitre.org/data/definitions/732.html",
			owaspCS + "Key_Management_Cheat_Sheet.html",
		},
	},
	{
		ID: "cert.caa-missing", Category: Certificate, Severity: Low,
		Title:       "No CAA record restricts which CAs may issue certificates",
		Description: "Neither the name nor any parent domain publishes a CAA record (RFC 8659), so every publicly trusted CA may issue a certificate for the site. A CAA record limits mis-issuance, by a careless CA or through a hijacked validation, to the CAs you use.",
		Fix:         "Publish a CAA record naming your CA on the registrable domain, for example `example.com. CAA 0 issue \"letsencrypt.org\"`, and an `iodef` address for reports.",
		References: []string{
			rfc8659,
			"https://letsencrypt.org/docs/caa/",
			"https://sslmate.com/caa/",
		},
	},
	{
		ID: "cert.caa-mismatch", Category: Certificate, Severity: High,
		Title:       "CAA records do not allow the CA that issued the certificate",
		Description: "The domain's CAA records allow other CAs than the one that issued the served certificate, so that CA must refuse the next renewal and the site breaks when the certificate expires. Either the records are wrong or the certificate came from a CA you did not mean to use.",
		Fix:         "Add the issuing CA's identifier to the CAA records (`issue`, and `issuewild` for a wildcard certificate), or move to a CA the records allow.",
		References: []string{
			rfc8659 + "#section-4",
			"https://letsencrypt.org/docs/caa/",
		},
	},
	{
		ID: "cert.caa-unknown-issuer", Category: Certificate, Severity: Info,
		Title:       "The certificate's CA could not be matched to a CAA identifier",
		Description: "CAA records restrict issuance, but portcullis does not know the CAA identifier of the CA that issued the served certificate, so it cannot tell whether the records allow its renewal.",
		Fix:         "Look up the CA's CAA identifier in its documentation and check that the `issue` records list it.",
		References: []string{
			rfc8659 + "#section-4.2",
			"https://sslmate.com/caa/",
		},
	},

	// ---- content ----
	{
		ID: "content.mixed-active", Category: Content, Severity: High,
		Title:       "HTTPS page loads scripts or frames over HTTP (active mixed content)",
		Description: "An HTTPS page loads a script, stylesheet, frame or other active resource from an `http://` URL. Browsers block it, breaking the page, and wherever it does load a network attacker can take over the whole page.",
		Fix:         "Load every resource over `https://` or with relative URLs; the CSP directive `upgrade-insecure-requests` rewrites stragglers.",
		References: []string{
			mixedContent,
			"https://web.dev/articles/what-is-mixed-content",
			mdnCSP + "/upgrade-insecure-requests",
		},
	},
	{
		ID: "content.mixed-passive", Category: Content, Severity: Low,
		Title:       "HTTPS page loads images or media over HTTP (passive mixed content)",
		Description: "An HTTPS page loads images, audio or video from `http://` URLs. Browsers upgrade or block many of them, and those that load can be replaced or used to track the user on the network.",
		Fix:         "Load every resource over `https://` or with relative URLs; the CSP directive `upgrade-insecure-requests` rewrites stragglers.",
		References: []string{
			mixedContent,
			"https://web.dev/articles/what-is-mixed-content",
			mdnCSP + "/upgrade-insecure-requests",
		},
	},
	{
		ID: "content.sri-missing", Category: Content, Severity: Low,
		Title:       "Third-party script or stylesheet without Subresource Integrity",
		Description: "A script or stylesheet from another origin is loaded without an `integrity` attribute, so if that CDN or host is compromised, the modified file runs with full access to the page.",
		Fix:         "Add `integrity=\"sha384-...\"` and `crossorigin=\"anonymous\"` to the element, or host the file yourself.",
		References: []string{
			"https://www.w3.org/TR/SRI/",
			owaspCS + "Third_Party_Javascript_Management_Cheat_Sheet.html",
		},
	},

	// ---- cdn ----
	{
		ID: "cdn.origin-plain-http", Category: CDN, Severity: High,
		Title:       "The origin server answers over plain HTTP",
		Description: "The origin behind the CDN serves the site over unencrypted HTTP, so the CDN-to-origin hop may cross the internet in clear text, and anyone who finds the origin's address can reach the site around the CDN and the protections it applies.",
		Fix:         "Serve the origin over HTTPS only, make the CDN connect over HTTPS and validate the certificate (Cloudflare Full (strict), CloudFront HTTPS Only), and accept connections only from the CDN (firewall, authenticated origin pulls).",
		References: []string{
			"https://developers.cloudflare.com/ssl/origin-configuration/ssl-modes/full-strict/",
			"https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-custom-origin.html",
			owaspTLS,
		},
	},
	{
		ID: "cdn.origin-cert-invalid", Category: CDN, Severity: High,
		Title:       "The origin server's certificate is invalid",
		Description: "The origin presents a certificate that is expired, for another name, self-signed or not trusted, so a CDN that validates it fails, and a CDN that does not validate it cannot tell the origin from an attacker on the path between them.",
		Fix:         "Give the origin a valid certificate for the site's name (from ACME, or from the CDN's origin CA, whose root you then pass to `--ca`) and make the CDN validate it.",
		References: []string{
			"https://developers.cloudflare.com/ssl/origin-configuration/ssl-modes/full-strict/",
			"https://www.rfc-editor.org/rfc/rfc9525",
			owaspTLS,
		},
	},
	{
		ID: "cdn.header-mismatch", Category: CDN, Severity: Low,
		Title:       "The CDN drops or rewrites the origin's security headers",
		Description: "Security headers differ between the origin and the edge. A header the origin sends and the edge drops or rewrites never reaches browsers as configured, and one that only the edge adds is missing whenever the origin is reached directly or the CDN's configuration changes.",
		Fix:         "Set each security header in one place and make the CDN pass the origin's headers through unchanged (check its header transform, page and caching rules).",
		References: []string{
			owaspHeaders,
			rfc9110 + "#section-7.6",
		},
	},
}
