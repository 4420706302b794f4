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
		Fix:         "Configure the list of host names the site serves and reject requests for any other `Host` (400 Bad Request, or close the connection); never accept every name in production.",
		Remedies: []Remedy{
			{Portcullis, "List the names in `[[site]] hosts = [\"example.com\", \"www.example.com\"]`, without `\"*\"`: other hosts get 400"},
			{Nginx, "`server_name example.com www.example.com;` in the site, and a catch-all `server { listen 443 ssl default_server; ssl_reject_handshake on; }` (1.19.4+) that refuses other names"},
			{Apache, "`ServerName example.com` and `ServerAlias www.example.com` in the site; the first `<VirtualHost>` answers unknown names, so make it a catch-all with `Require all denied`"},
			{Caddy, "Default: a site block such as `example.com, www.example.com {` serves only those names; avoid a bare `:443` or `https://` catch-all"},
			{Django, "`ALLOWED_HOSTS = [\"example.com\", \"www.example.com\"]`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[[site]] hosts = [\"example.com\", \".example.com\"]`: bare names, IP literals, or a leading dot for the domain and its subdomains; anything else is refused when the configuration loads"},
			{Nginx, "`server_name example.com *.example.com;`: names, a leading or trailing `*` wildcard, or a regular expression starting with `~`"},
			{Apache, "`ServerName example.com` and `ServerAlias *.example.com`: host names, with wildcards in `ServerAlias` only"},
			{Caddy, "Site addresses such as `example.com, *.example.com`: a wildcard stands for exactly one label"},
			{Django, "`ALLOWED_HOSTS = [\"example.com\", \".example.com\"]`: no scheme, path or port; a leading dot matches the domain and its subdomains"},
		},
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
		Fix:         "Trust forwarding headers only from the addresses or CIDR ranges of your own reverse proxies and load balancers, and from nobody when clients connect directly.",
		Remedies: []Remedy{
			{Portcullis, "`[[site]] trusted_proxies = [\"10.0.0.0/8\"]` with only your proxies' addresses; leave it out when clients connect directly (the default)"},
			{Nginx, "`set_real_ip_from 10.0.0.0/8;` with only your proxies' ranges and `real_ip_header X-Forwarded-For;`, never `set_real_ip_from 0.0.0.0/0;`"},
			{Apache, "`RemoteIPHeader X-Forwarded-For` with `RemoteIPTrustedProxy 10.0.0.0/8` listing only your proxies"},
			{Caddy, "`trusted_proxies static 10.0.0.0/8` in the global `servers` options (or in `reverse_proxy`), with only your proxies' ranges; none is trusted by default"},
			{Django, "`SECURE_PROXY_SSL_HEADER = (\"HTTP_X_FORWARDED_PROTO\", \"https\")` and `USE_X_FORWARDED_HOST = True` only behind a proxy that overwrites those headers on every request"},
		},
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
		Fix:         "Make the edge proxy overwrite `X-Forwarded-Proto` and `X-Forwarded-Host` and append to `X-Forwarded-For`; read the client address from the right-most entry added by a trusted proxy.",
		Remedies: []Remedy{
			{Portcullis, "Default: forwarding headers from peers outside `[[site]] trusted_proxies` are deleted; list only your own proxies there"},
			{Nginx, "At the edge, overwrite them: `proxy_set_header X-Forwarded-For $remote_addr;`, `proxy_set_header X-Forwarded-Proto $scheme;` and `proxy_set_header X-Forwarded-Host $host;`"},
			{Apache, "At the edge, `RequestHeader unset X-Forwarded-For early`, `RequestHeader unset X-Forwarded-Host early` and `RequestHeader set X-Forwarded-Proto https`; `mod_proxy` then adds its own (`ProxyAddHeaders On`, the default)"},
			{Caddy, "Default (2.5+): `reverse_proxy` replaces `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host` unless the client is in `trusted_proxies`"},
			{Django, "`USE_X_FORWARDED_HOST = False` and `USE_X_FORWARDED_PORT = False` (the defaults) unless the proxy overwrites those headers; Django takes the client address from `REMOTE_ADDR` only"},
		},
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
		Fix:         "Drop request headers whose names contain `_` at the edge, before they reach a CGI, WSGI or FastCGI server.",
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.requests] allow_underscore_headers = false`"},
			{Nginx, "Default: `underscores_in_headers off;` (with `ignore_invalid_headers on;`, also the default)"},
			{Django, "Django cannot tell `X_Forwarded_For` from `X-Forwarded-For`; gunicorn 22 and later drop such headers by default (`--header-map drop`)"},
		},
		References: []string{
			"https://nginx.org/en/docs/http/ngx_http_core_module.html#underscores_in_headers",
			"https://www.rfc-editor.org/rfc/rfc3875#section-4.1.18",
		},
	},
	{
		ID: "proxy.unsafe-methods", Category: Proxy, Severity: Low,
		Title:       "TRACE, TRACK or CONNECT requests reach the application",
		Description: "`TRACE` and `TRACK` echo the request, credentials included, back to whoever sent it (cross-site tracing); `CONNECT` asks the server to open a tunnel. Few applications serve them, and passing them on leaves each application to refuse them itself.",
		Fix:         "Answer the methods the application does not serve with 405 at the edge, passing on only GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS.",
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.requests] methods` lists GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS; do not add `TRACE` or `CONNECT`"},
			{Nginx, "nginx answers `TRACE` with 405 itself; `limit_except GET POST PUT PATCH DELETE OPTIONS { deny all; }` in a `location` refuses the other methods (403)"},
			{Apache, "`TraceEnable off`, and a `<LimitExcept GET POST PUT PATCH DELETE OPTIONS>` section holding `Require all denied` for the other methods"},
			{Caddy, "`@unsafe method TRACE TRACK CONNECT` and `respond @unsafe 405`"},
			{Django, "Class-based views answer 405 to the methods they do not define; decorate function views with `@require_http_methods([\"GET\", \"POST\"])`"},
		},
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
		Fix:         "Redirect every plain-HTTP request to the same URL on `https://` with a permanent redirect, at the server or the load balancer, then add HSTS.",
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.redirect] disable = false` (a 308 to HTTPS on the same host)"},
			{Nginx, "A port-80 `server` with `return 301 https://$host$request_uri;`"},
			{Apache, "`Redirect permanent / https://example.com/` in the port-80 `<VirtualHost>`"},
			{Caddy, "Default: automatic HTTPS redirects plain HTTP to HTTPS (308) for every site with a domain name"},
			{Django, "`SECURE_SSL_REDIRECT = True` (301), with `SECURE_PROXY_SSL_HEADER` behind a TLS-terminating proxy"},
		},
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
		Fix:         "Listen on port 80 and answer every request with a permanent redirect to the same URL on `https://`; leave it closed only for an API whose clients never type its address.",
		Remedies: []Remedy{
			{Portcullis, "`[listen] http = \":80\"` (the default is `\":8080\"`) answers with the redirect; open port 80 in the firewall"},
			{Nginx, "`server { listen 80; return 301 https://$host$request_uri; }`, and port 80 open in the firewall"},
			{Apache, "`Listen 80` and a `<VirtualHost *:80>` with `Redirect permanent / https://example.com/`"},
			{Caddy, "Default: Caddy answers port 80 with the redirect unless `auto_https` is `off` or `disable_redirects`; keep port 80 open in the firewall"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.redirect] code = 308`; `301` also works, `307` does not"},
			{Nginx, "`return 301 https://$host$request_uri;` (or `308`), not `302` or `307`"},
			{Apache, "`Redirect permanent / https://example.com/`; a bare `Redirect` is temporary (302)"},
			{Caddy, "Default: automatic HTTPS redirects with 308; a hand-written `redir` needs `permanent` (`redir https://{host}{uri} permanent`)"},
			{Django, "Default: `SECURE_SSL_REDIRECT = True` redirects with 301"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: the redirect keeps the request's host; leave `[defaults.redirect] host` unset and send the canonical host's redirect from the HTTPS side"},
			{Nginx, "`return 301 https://$host$request_uri;` on port 80; redirect to `www` only in the HTTPS `server`"},
			{Apache, "`Redirect permanent / https://example.com/` in the port-80 `<VirtualHost>` of `example.com`; redirect to `www` only from its HTTPS virtual host"},
			{Caddy, "Default: automatic HTTPS keeps the host; put `redir https://www.example.com{uri} permanent` in the `example.com` site only"},
			{Django, "Default: `SECURE_SSL_HOST = None` keeps the host in the redirect"},
		},
		References: []string{
			hstsPreload,
			rfc6797 + "#section-7.2",
		},
	},
	{
		ID: "redirect.downgrade", Category: Redirect, Severity: High,
		Title:       "Redirect downgrades from HTTPS to HTTP",
		Description: "A response served over HTTPS redirects to an `http://` URL, exposing the next request, its URL and any cookie without `Secure` to anyone on the network. It usually means the application behind a TLS-terminating proxy does not know the original scheme.",
		Fix:         "Build redirect URLs with the `https` scheme or use relative `Location` values; behind a TLS-terminating proxy, make the application trust that proxy's `X-Forwarded-Proto` so it sees the original scheme.",
		Remedies: []Remedy{
			{Portcullis, "Default: the upstream gets `X-Forwarded-Proto: https`; when another proxy terminates TLS in front, list it in `[[site]] trusted_proxies`"},
			{Nginx, "`proxy_set_header X-Forwarded-Proto $scheme;` and `proxy_redirect http:// https://;`"},
			{Apache, "`RequestHeader set X-Forwarded-Proto https` in the HTTPS `<VirtualHost>`, and a `ProxyPassReverse` for each `ProxyPass`"},
			{Caddy, "Default: `reverse_proxy` sends `X-Forwarded-Proto: https` to the application"},
			{Django, "`SECURE_PROXY_SSL_HEADER = (\"HTTP_X_FORWARDED_PROTO\", \"https\")` behind a proxy that sets that header"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Nothing to configure in portcullis, which redirects only to the same host or `[defaults.redirect] host`: check the application's redirects"},
			{Django, "Check a target taken from the request with `url_has_allowed_host_and_scheme()` before redirecting to it"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: one 308 to HTTPS on the same host; let the application add at most one hop to the canonical host"},
			{Nginx, "`return 301 https://$host$request_uri;` on port 80, then a single `return 301 https://www.example.com$request_uri;` in the other name's HTTPS `server`"},
			{Apache, "One `Redirect permanent` per virtual host, each straight to its final `https://` URL"},
			{Caddy, "Default: one automatic redirect to HTTPS; at most one `redir https://www.example.com{uri} permanent` after it"},
			{Django, "`SECURE_SSL_REDIRECT` and `PREPEND_WWW = True` each add a hop: do one of them at the proxy instead"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[defaults.csp] upgrade_insecure_requests = true`, and `form-action 'self'` in `[defaults.csp] policy` (`\"strict\"` has it)"},
			{Nginx, "`add_header Content-Security-Policy \"form-action 'self'; upgrade-insecure-requests\" always;` while the form is fixed"},
			{Apache, "`Header always set Content-Security-Policy \"form-action 'self'; upgrade-insecure-requests\"` while the form is fixed"},
			{Caddy, "`header Content-Security-Policy \"form-action 'self'; upgrade-insecure-requests\"` while the form is fixed"},
			{Django, "Django 6.0: `SECURE_CSP = {\"form-action\": [CSP.SELF], \"upgrade-insecure-requests\": True}`"},
		},
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
		Fix:         "Send `Strict-Transport-Security: max-age=31536000; includeSubDomains` on every HTTPS response; start with a short max-age if you are unsure every subdomain supports HTTPS.",
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.hsts] disable = false` sends `max-age=31536000; includeSubDomains` on HTTPS responses"},
			{Nginx, "`add_header Strict-Transport-Security \"max-age=31536000; includeSubDomains\" always;` in the HTTPS `server` (and in each `location` that has `add_header` of its own)"},
			{Apache, "`Header always set Strict-Transport-Security \"max-age=31536000; includeSubDomains\"` in the HTTPS `<VirtualHost>`"},
			{Caddy, "`header Strict-Transport-Security \"max-age=31536000; includeSubDomains\"` in the site block"},
			{Django, "`SECURE_HSTS_SECONDS = 31536000` and `SECURE_HSTS_INCLUDE_SUBDOMAINS = True`, with `SecurityMiddleware`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.hsts] max_age = \"365d\"`; do not lower it (`\"730d\"` for two years)"},
			{Nginx, "`max-age=31536000` (or `63072000`) in the `add_header Strict-Transport-Security … always;` value"},
			{Apache, "`max-age=31536000` (or `63072000`) in the `Header always set Strict-Transport-Security …` value"},
			{Caddy, "`max-age=31536000` (or `63072000`) in the `header Strict-Transport-Security …` value"},
			{Django, "`SECURE_HSTS_SECONDS = 31536000` (or `63072000`)"},
		},
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
		Fix:         "Add `includeSubDomains` to the HSTS header once every subdomain serves HTTPS.",
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.hsts] include_subdomains = true`"},
			{Nginx, "`add_header Strict-Transport-Security \"max-age=31536000; includeSubDomains\" always;`"},
			{Apache, "`Header always set Strict-Transport-Security \"max-age=31536000; includeSubDomains\"`"},
			{Caddy, "`header Strict-Transport-Security \"max-age=31536000; includeSubDomains\"`"},
			{Django, "`SECURE_HSTS_INCLUDE_SUBDOMAINS = True`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[defaults.hsts] preload = true` (with the default `max_age` and `include_subdomains`), then submit the domain at hstspreload.org"},
			{Nginx, "`add_header Strict-Transport-Security \"max-age=63072000; includeSubDomains; preload\" always;`"},
			{Apache, "`Header always set Strict-Transport-Security \"max-age=63072000; includeSubDomains; preload\"`"},
			{Caddy, "`header Strict-Transport-Security \"max-age=63072000; includeSubDomains; preload\"`"},
			{Django, "`SECURE_HSTS_PRELOAD = True`, with `SECURE_HSTS_SECONDS = 31536000` and `SECURE_HSTS_INCLUDE_SUBDOMAINS = True`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[defaults.hsts] preload = true` is refused without a year's `max_age` and `include_subdomains`; serve the registrable domain through portcullis too, whose redirect stays on the same host"},
			{Nginx, "`add_header Strict-Transport-Security \"max-age=63072000; includeSubDomains; preload\" always;` on the registrable domain too, and `return 301 https://$host$request_uri;` on port 80"},
			{Apache, "`Header always set Strict-Transport-Security \"max-age=63072000; includeSubDomains; preload\"` on the registrable domain too, and a same-host `Redirect permanent` on port 80"},
			{Caddy, "`header Strict-Transport-Security \"max-age=63072000; includeSubDomains; preload\"` in the registrable domain's site too; the automatic redirect stays on the same host"},
			{Django, "`SECURE_HSTS_SECONDS = 31536000`, `SECURE_HSTS_INCLUDE_SUBDOMAINS = True` and `SECURE_HSTS_PRELOAD = True`, on the registrable domain too"},
		},
		References: []string{
			hstsPreload,
			owaspHSTS,
		},
	},
	{
		ID: "hsts.multiple", Category: HSTS, Severity: Low,
		Title:       "Multiple Strict-Transport-Security headers",
		Description: "The response carries more than one `Strict-Transport-Security` header field; browsers process only the first, so the effective policy may not be the one intended. It usually means both the application and a proxy add the header.",
		Fix:         "Set HSTS in exactly one place, the application or the proxy, and remove the other.",
		Remedies: []Remedy{
			{Portcullis, "Default: portcullis keeps the application's header and adds none of its own; remove the other source (the application's second header, or a proxy's in front)"},
			{Nginx, "`proxy_hide_header Strict-Transport-Security;` beside the one `add_header Strict-Transport-Security … always;`"},
			{Apache, "`Header unset Strict-Transport-Security` before the one `Header always set Strict-Transport-Security …`"},
			{Caddy, "`header >Strict-Transport-Security \"max-age=31536000; includeSubDomains\"`: deferred, it replaces the application's value"},
			{Django, "`SECURE_HSTS_SECONDS = 0` when the proxy in front adds the header"},
		},
		References: []string{
			rfc6797 + "#section-8.1",
		},
	},
	{
		ID: "hsts.invalid", Category: HSTS, Severity: Medium,
		Title:       "Strict-Transport-Security header is malformed",
		Description: "The header does not follow the RFC 6797 syntax (a missing or non-numeric `max-age`, a repeated directive, bad quoting), so browsers ignore it and the site behaves as if HSTS were off.",
		Fix:         "Send a well-formed value such as `max-age=31536000; includeSubDomains`, preferably generated from the server's HSTS setting rather than written by hand.",
		Remedies: []Remedy{
			{Portcullis, "portcullis writes a valid value from `[defaults.hsts]` but keeps the application's own header: remove that one from the application"},
			{Nginx, "`add_header Strict-Transport-Security \"max-age=31536000; includeSubDomains\" always;`: one quoted value, `max-age` in seconds"},
			{Apache, "`Header always set Strict-Transport-Security \"max-age=31536000; includeSubDomains\"`: one quoted value, `max-age` in seconds"},
			{Caddy, "`header Strict-Transport-Security \"max-age=31536000; includeSubDomains\"`: one quoted value, `max-age` in seconds"},
			{Django, "Default: `SecurityMiddleware` builds a valid value from `SECURE_HSTS_SECONDS`; remove hand-written headers"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: HSTS goes on HTTPS responses only; plain HTTP gets the redirect"},
			{Nginx, "`add_header Strict-Transport-Security …` in the HTTPS `server` only; the port-80 one just redirects"},
			{Apache, "`Header always set Strict-Transport-Security …` in the HTTPS `<VirtualHost>` only"},
			{Caddy, "Default: the automatic port-80 redirect carries none of the site's `header` directives"},
			{Django, "Default: `SecurityMiddleware` sends HSTS only on requests `is_secure()` says came over HTTPS"},
		},
		References: []string{
			rfc6797 + "#section-7.2",
			rfc6797 + "#section-8.1",
		},
	},
	{
		ID: "hsts.local-host", Category: HSTS, Severity: Info,
		Title:       "HSTS and a local host name or IP address",
		Description: "The target is `localhost`, a `.localhost` name or an IP literal, for which portcullis deliberately omits HSTS. Browsers never apply HSTS to IP addresses (RFC 6797 section 8.1). For `localhost` they differ: Chromium ignores it since version 132, but Firefox and Safari apply it like anywhere else, so a header sent once forces HTTPS on every development server on `localhost` for max-age.",
		Fix:         "For an IP address, nothing to do. For `localhost`, do not send HSTS. Audit the public host name to check HSTS.",
		Remedies: []Remedy{
			{Portcullis, "Default: no HSTS for localhost names and IP addresses; nothing to do"},
			{Nginx, "Leave `Strict-Transport-Security` out of the `server` for `localhost`"},
			{Apache, "Leave `Strict-Transport-Security` out of the `localhost` virtual host"},
			{Caddy, "Leave `Strict-Transport-Security` out of the `localhost` site block"},
			{Django, "`SECURE_HSTS_SECONDS = 0` (the default) in development settings"},
		},
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
		Fix:         "Add `Secure` to every cookie of an HTTPS site, in the application or by rewriting `Set-Cookie` at the proxy.",
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.cookies] disable = false` adds `Secure` to every cookie set over HTTPS"},
			{Nginx, "`proxy_cookie_flags ~ secure;` (nginx 1.19.3+)"},
			{Apache, "`Header edit Set-Cookie ^(.*)$ \"$1; Secure\"`"},
			{Caddy, "`header >Set-Cookie \"(.*)\" \"$1; Secure\"`"},
			{Django, "`SESSION_COOKIE_SECURE = True` and `CSRF_COOKIE_SECURE = True`"},
		},
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
		Fix:         "Add `HttpOnly` to session and authentication cookies; omit it only for cookies that client-side code must read.",
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.cookies] httponly` covers common session cookie names; list yours, e.g. `httponly = [\"sessionid\", \"remember_token\"]`"},
			{Nginx, "`proxy_cookie_flags sessionid httponly;` for each session cookie (nginx 1.19.3+)"},
			{Apache, "`Header edit Set-Cookie ^(sessionid=.*)$ \"$1; HttpOnly\"`"},
			{Caddy, "`header >Set-Cookie \"^(sessionid=.*)$\" \"$1; HttpOnly\"`"},
			{Django, "Default: `SESSION_COOKIE_HTTPONLY = True`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.cookies] samesite = \"lax\"` is added where the application set none"},
			{Nginx, "`proxy_cookie_flags ~ samesite=lax;` (nginx 1.19.3+)"},
			{Apache, "`Header edit Set-Cookie ^(.*)$ \"$1; SameSite=Lax\"`"},
			{Caddy, "`header >Set-Cookie \"(.*)\" \"$1; SameSite=Lax\"`"},
			{Django, "Default: `SESSION_COOKIE_SAMESITE = \"Lax\"` and `CSRF_COOKIE_SAMESITE = \"Lax\"`; pass `samesite=\"Lax\"` to `set_cookie()` for your own cookies"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `Secure` is added to every cookie set over HTTPS, `SameSite=None` ones included"},
			{Nginx, "`proxy_cookie_flags ~ secure;` (nginx 1.19.3+)"},
			{Apache, "`Header edit Set-Cookie ^(.*)$ \"$1; Secure\"`"},
			{Caddy, "`header >Set-Cookie \"(.*)\" \"$1; Secure\"`"},
			{Django, "`SESSION_COOKIE_SECURE = True` and `CSRF_COOKIE_SECURE = True` beside `SameSite=None`, and `secure=True` in `set_cookie()`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `Secure` is added over HTTPS; `Path=/` and no `Domain` on a `__Host-` cookie are the application's to set"},
			{Nginx, "`proxy_cookie_flags ~ secure;` (nginx 1.19.3+), and no `proxy_cookie_path` or `proxy_cookie_domain` that changes a `__Host-` cookie"},
			{Apache, "`Header edit Set-Cookie ^(.*)$ \"$1; Secure\"`; `Path=/` and no `Domain` on a `__Host-` cookie are the application's to set"},
			{Caddy, "`header >Set-Cookie \"(.*)\" \"$1; Secure\"`; `Path=/` and no `Domain` on a `__Host-` cookie are the application's to set"},
			{Django, "`SESSION_COOKIE_NAME = \"__Host-sessionid\"` needs `SESSION_COOKIE_SECURE = True`, `SESSION_COOKIE_PATH = \"/\"` and `SESSION_COOKIE_DOMAIN = None` (the last two are the defaults)"},
		},
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
		Fix:         "Send `X-Frame-Options: DENY` or CSP `frame-ancestors 'none'`; allow framing by the same origin or listed origins only for pages that need it.",
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.headers] frame_options = \"DENY\"`, and `frame-ancestors 'none'` in the default CSP"},
			{Nginx, "`add_header X-Frame-Options DENY always;`"},
			{Apache, "`Header always set X-Frame-Options DENY`"},
			{Caddy, "`header X-Frame-Options DENY`"},
			{Django, "Default: `X_FRAME_OPTIONS = \"DENY\"`, with `XFrameOptionsMiddleware` in `MIDDLEWARE`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.headers] frame_options = \"DENY\"`; set `\"SAMEORIGIN\"` only in the `[site.policy.headers]` of a site that frames its own pages"},
			{Nginx, "`add_header X-Frame-Options DENY always;`"},
			{Apache, "`Header always set X-Frame-Options DENY`"},
			{Caddy, "`header X-Frame-Options DENY`"},
			{Django, "Default: `X_FRAME_OPTIONS = \"DENY\"`; `@xframe_options_sameorigin` on the views that must be framed"},
		},
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
		Fix:         "Send `X-Content-Type-Options: nosniff` on every response and set an accurate `Content-Type`.",
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.headers] content_type_options = \"nosniff\"`"},
			{Nginx, "`add_header X-Content-Type-Options nosniff always;`"},
			{Apache, "`Header always set X-Content-Type-Options nosniff`"},
			{Caddy, "`header X-Content-Type-Options nosniff`"},
			{Django, "Default: `SECURE_CONTENT_TYPE_NOSNIFF = True`, with `SecurityMiddleware`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.headers] referrer_policy = \"same-origin\"`"},
			{Nginx, "`add_header Referrer-Policy strict-origin-when-cross-origin always;`"},
			{Apache, "`Header always set Referrer-Policy strict-origin-when-cross-origin`"},
			{Caddy, "`header Referrer-Policy strict-origin-when-cross-origin`"},
			{Django, "Default: `SECURE_REFERRER_POLICY = \"same-origin\"`, with `SecurityMiddleware`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.headers] referrer_policy = \"same-origin\"`; `\"strict-origin-when-cross-origin\"` also does"},
			{Nginx, "`add_header Referrer-Policy strict-origin-when-cross-origin always;`"},
			{Apache, "`Header always set Referrer-Policy strict-origin-when-cross-origin`"},
			{Caddy, "`header Referrer-Policy strict-origin-when-cross-origin`"},
			{Django, "Default: `SECURE_REFERRER_POLICY = \"same-origin\"`; `\"strict-origin-when-cross-origin\"` also does"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.headers] referrer_policy = \"same-origin\"`"},
			{Nginx, "`add_header Referrer-Policy strict-origin-when-cross-origin always;`"},
			{Apache, "`Header always set Referrer-Policy strict-origin-when-cross-origin`"},
			{Caddy, "`header Referrer-Policy strict-origin-when-cross-origin`"},
			{Django, "`SECURE_REFERRER_POLICY = \"same-origin\"` (the default); Django's check `security.E023` names an invalid value"},
		},
		References: []string{
			referrerPolicy,
			mdnHeaders + "Referrer-Policy",
		},
	},
	{
		ID: "header.coop-missing", Category: Headers, Severity: Low,
		Title:       "No Cross-Origin-Opener-Policy header",
		Description: "Without `Cross-Origin-Opener-Policy` a page opened from or opening another site shares a browsing context group with it, so that site keeps a `window` reference usable for cross-window attacks (XS-Leaks) and the page cannot get process isolation.",
		Fix:         "Send `Cross-Origin-Opener-Policy: same-origin`, or `same-origin-allow-popups` if the page relies on popups such as OAuth or payment windows.",
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.headers] coop = \"same-origin\"`"},
			{Nginx, "`add_header Cross-Origin-Opener-Policy same-origin always;`"},
			{Apache, "`Header always set Cross-Origin-Opener-Policy same-origin`"},
			{Caddy, "`header Cross-Origin-Opener-Policy same-origin`"},
			{Django, "Default (4.0+): `SECURE_CROSS_ORIGIN_OPENER_POLICY = \"same-origin\"`, with `SecurityMiddleware`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.headers] coop = \"same-origin\"`; `\"same-origin-allow-popups\"` for pages that open OAuth or payment windows"},
			{Nginx, "`add_header Cross-Origin-Opener-Policy same-origin always;`"},
			{Apache, "`Header always set Cross-Origin-Opener-Policy same-origin`"},
			{Caddy, "`header Cross-Origin-Opener-Policy same-origin`"},
			{Django, "`SECURE_CROSS_ORIGIN_OPENER_POLICY = \"same-origin\"` (the default) or `\"same-origin-allow-popups\"`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[defaults.headers] corp = \"same-origin\"` (`\"same-site\"`, or `\"cross-origin\"` for assets other sites embed)"},
			{Nginx, "`add_header Cross-Origin-Resource-Policy same-origin always;`"},
			{Apache, "`Header always set Cross-Origin-Resource-Policy same-origin`"},
			{Caddy, "`header Cross-Origin-Resource-Policy same-origin`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.headers] xss_protection = \"0\"`"},
			{Nginx, "`proxy_hide_header X-XSS-Protection;` and `add_header X-XSS-Protection 0 always;`"},
			{Apache, "`Header unset X-XSS-Protection` and `Header always set X-XSS-Protection 0`"},
			{Caddy, "`header >X-XSS-Protection 0`"},
			{Django, "Current versions send none; on Django 3.2 keep `SECURE_BROWSER_XSS_FILTER = False`, the default"},
		},
		References: []string{
			mdnHeaders + "X-XSS-Protection",
			owaspHeaders + "#x-xss-protection",
		},
	},
	{
		ID: "header.permissions-policy-missing", Category: Headers, Severity: Low,
		Title:       "No Permissions-Policy header",
		Description: "Without `Permissions-Policy` powerful browser features (camera, microphone, geolocation, payment and others) stay available to the page and to every frame it embeds, so injected or third-party content can request them.",
		Fix:         "Send a `Permissions-Policy` that disables the features the site does not use, for example `camera=(), microphone=(), geolocation=()`.",
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.permissions_policy]` denies the camera, microphone, geolocation and other powerful features"},
			{Nginx, "`add_header Permissions-Policy \"camera=(), microphone=(), geolocation=()\" always;`"},
			{Apache, "`Header always set Permissions-Policy \"camera=(), microphone=(), geolocation=()\"`"},
			{Caddy, "`header Permissions-Policy \"camera=(), microphone=(), geolocation=()\"`"},
			{Django, "No setting of Django's; the `django-permissions-policy` package: `PERMISSIONS_POLICY = {\"camera\": [], \"microphone\": [], \"geolocation\": []}`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.responses] keep_version_headers = false` removes `X-Powered-By` and a `Server` naming a version"},
			{Nginx, "`server_tokens off;` and `proxy_hide_header X-Powered-By;`"},
			{Apache, "`ServerTokens Prod`, `ServerSignature Off` and `Header unset X-Powered-By`"},
			{Caddy, "`header -Server` and `header -X-Powered-By`"},
		},
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
		Fix:         "Send `Cache-Control: private, no-store` on every response that sets a cookie and on pages for one user, and let the CDN cache only static, cookie-free responses.",
		Remedies: []Remedy{
			{Portcullis, "Nothing to configure in portcullis, which passes the application's `Cache-Control` on: send `private, no-store` from the application"},
			{Nginx, "Default: `proxy_cache` does not store responses with `Set-Cookie` (never list it in `proxy_ignore_headers`); `add_header Cache-Control \"private, no-store\" always;` in per-user locations"},
			{Apache, "`Header set Cache-Control \"private, no-store\"` in the `<Location>` of pages that set cookies or show one user's data"},
			{Caddy, "`header /account/* Cache-Control \"private, no-store\"` for the paths that set cookies or show one user's data"},
			{Django, "`@never_cache` on the views that set cookies or show one user's data (`private, no-store`)"},
		},
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
		Fix:         "Deploy a strict policy based on nonces or hashes, such as `script-src 'nonce-...' 'strict-dynamic'; object-src 'none'; base-uri 'none'`, trying it first as `Content-Security-Policy-Report-Only`.",
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.csp] disable = false` sends `object-src 'none'; base-uri 'self'; frame-ancestors 'none'`; `nonce = true` makes it a strict script policy"},
			{Nginx, "`add_header Content-Security-Policy \"object-src 'none'; base-uri 'none'; frame-ancestors 'none'\" always;`; a nonce-based script policy needs the application"},
			{Apache, "`Header always set Content-Security-Policy \"object-src 'none'; base-uri 'none'; frame-ancestors 'none'\"`; a nonce-based script policy needs the application"},
			{Caddy, "`header Content-Security-Policy \"object-src 'none'; base-uri 'none'; frame-ancestors 'none'\"`; a nonce-based script policy needs the application"},
			{Django, "Django 6.0: `SECURE_CSP = {\"script-src\": [CSP.NONCE, CSP.STRICT_DYNAMIC], \"object-src\": [CSP.NONE], \"base-uri\": [CSP.NONE]}` with `ContentSecurityPolicyMiddleware`; before 6.0, the `django-csp` package"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[defaults.csp] nonce = true` (or hashes in `[defaults.csp] policy`), and the `nonce` attribute on every `<script>`"},
			{Nginx, "Remove `'unsafe-inline'` from `script-src` in `add_header Content-Security-Policy`; nonces must come from the application"},
			{Apache, "Remove `'unsafe-inline'` from `script-src` in `Header always set Content-Security-Policy`; nonces must come from the application"},
			{Caddy, "Remove `'unsafe-inline'` from `script-src` in `header Content-Security-Policy`; nonces must come from the application"},
			{Django, "Django 6.0: `CSP.NONCE` instead of `CSP.UNSAFE_INLINE` in `SECURE_CSP[\"script-src\"]`, and `nonce=\"{{ csp_nonce }}\"` on every `<script>`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Remove `'unsafe-eval'` from `[defaults.csp] policy` (or from the application's policy)"},
			{Nginx, "Remove `'unsafe-eval'` from the `add_header Content-Security-Policy` value"},
			{Apache, "Remove `'unsafe-eval'` from the `Header always set Content-Security-Policy` value"},
			{Caddy, "Remove `'unsafe-eval'` from the `header Content-Security-Policy` value"},
			{Django, "Remove `CSP.UNSAFE_EVAL` from `SECURE_CSP`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Replace `*` in `[defaults.csp] policy` with the hosts the pages load from, or use `nonce = true`"},
			{Nginx, "Replace `*` in the `add_header Content-Security-Policy` value with the hosts the pages load from"},
			{Apache, "Replace `*` in the `Header always set Content-Security-Policy` value with the hosts the pages load from"},
			{Caddy, "Replace `*` in the `header Content-Security-Policy` value with the hosts the pages load from"},
			{Django, "Replace `\"*\"` in `SECURE_CSP` with the hosts the pages load from, or `CSP.NONCE` with `CSP.STRICT_DYNAMIC`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Replace `https:`, `http:` and `data:` in `[defaults.csp] policy` with hosts, or use `nonce = true`"},
			{Nginx, "Replace `https:`, `http:` and `data:` in the `add_header Content-Security-Policy` value with hosts"},
			{Apache, "Replace `https:`, `http:` and `data:` in the `Header always set Content-Security-Policy` value with hosts"},
			{Caddy, "Replace `https:`, `http:` and `data:` in the `header Content-Security-Policy` value with hosts"},
			{Django, "Replace `\"https:\"`, `\"http:\"` and `\"data:\"` in `SECURE_CSP` with hosts, or `CSP.NONCE` with `CSP.STRICT_DYNAMIC`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `object-src 'none'` is in the default policy and in `\"strict\"`; keep it in a `[defaults.csp] policy` of your own"},
			{Nginx, "Add `object-src 'none'` to the `add_header Content-Security-Policy` value"},
			{Apache, "Add `object-src 'none'` to the `Header always set Content-Security-Policy` value"},
			{Caddy, "Add `object-src 'none'` to the `header Content-Security-Policy` value"},
			{Django, "`\"object-src\": [CSP.NONE]` in `SECURE_CSP`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `base-uri 'self'` is in the default policy and in `\"strict\"`; keep it in a `[defaults.csp] policy` of your own"},
			{Nginx, "Add `base-uri 'none'` to the `add_header Content-Security-Policy` value"},
			{Apache, "Add `base-uri 'none'` to the `Header always set Content-Security-Policy` value"},
			{Caddy, "Add `base-uri 'none'` to the `header Content-Security-Policy` value"},
			{Django, "`\"base-uri\": [CSP.NONE]` in `SECURE_CSP`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `frame-ancestors 'none'` is in the default policy and in `\"strict\"`; keep it in a `[defaults.csp] policy` of your own"},
			{Nginx, "Add `frame-ancestors 'none'` to the `add_header Content-Security-Policy` value"},
			{Apache, "Add `frame-ancestors 'none'` to the `Header always set Content-Security-Policy` value"},
			{Caddy, "Add `frame-ancestors 'none'` to the `header Content-Security-Policy` value"},
			{Django, "`\"frame-ancestors\": [CSP.NONE]` in `SECURE_CSP`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Move the tested policy from `[defaults.csp] report_only` to `[defaults.csp] policy`"},
			{Nginx, "`add_header Content-Security-Policy …` with the tested policy, beside or instead of `Content-Security-Policy-Report-Only`"},
			{Apache, "`Header always set Content-Security-Policy …` with the tested policy, beside or instead of `Content-Security-Policy-Report-Only`"},
			{Caddy, "`header Content-Security-Policy …` with the tested policy, beside or instead of `Content-Security-Policy-Report-Only`"},
			{Django, "Move the tested policy from `SECURE_CSP_REPORT_ONLY` to `SECURE_CSP`"},
		},
		References: []string{
			mdnHeaders + "Content-Security-Policy-Report-Only",
			csp3,
		},
	},
	{
		ID: "csp.invalid", Category: CSP, Severity: Medium,
		Title:       "Content-Security-Policy contains errors",
		Description: "The policy has syntax errors, unknown directives, unquoted keywords (`self` instead of `'self'`) or directives where they are not allowed, so browsers ignore those parts and the effective policy is weaker than it reads.",
		Fix:         "Correct the reported directive: keywords and nonces take single quotes and directives are separated by `;`. Generating the policy from a structured setting avoids these mistakes.",
		Remedies: []Remedy{
			{Portcullis, "`[defaults.csp] policy` is checked when the configuration loads; correct the application's own policy, or replace it with `on_conflict = \"override\"`"},
			{Nginx, "Quote keywords (`'self'`, `'none'`) and separate directives with `;` in the `add_header Content-Security-Policy` value"},
			{Apache, "Quote keywords (`'self'`, `'none'`) and separate directives with `;` in the `Header always set Content-Security-Policy` value"},
			{Caddy, "Quote keywords (`'self'`, `'none'`) and separate directives with `;` in the `header Content-Security-Policy` value"},
			{Django, "Django 6.0: build the policy in `SECURE_CSP` from the `CSP` constants (`CSP.SELF`, not `\"self\"`)"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[defaults.csp] nonce = true` adds a nonce to `script-src` (see `nonce_directives`)"},
			{Django, "Django 6.0: `CSP.NONCE` beside `CSP.STRICT_DYNAMIC` in `SECURE_CSP[\"script-src\"]`"},
		},
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
		Fix:         "Use the structured-field syntax with known feature names, for example `camera=(), geolocation=(self)`.",
		Remedies: []Remedy{
			{Portcullis, "`[defaults.permissions_policy] policy = \"camera=(), geolocation=(self)\"`, checked when the configuration loads"},
			{Nginx, "`add_header Permissions-Policy \"camera=(), geolocation=(self)\" always;`: structured fields, not `camera 'none'`"},
			{Apache, "`Header always set Permissions-Policy \"camera=(), geolocation=(self)\"`: structured fields, not `camera 'none'`"},
			{Caddy, "`header Permissions-Policy \"camera=(), geolocation=(self)\"`: structured fields, not `camera 'none'`"},
			{Django, "No setting of Django's; the `django-permissions-policy` package builds the header from `PERMISSIONS_POLICY = {\"camera\": [], \"geolocation\": [\"self\"]}`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[defaults.cors] origins = [\"https://app.example.com\"]` with `credentials = true`; `\"*\"` with credentials is refused"},
			{Nginx, "Never echo `$http_origin` beside `add_header Access-Control-Allow-Credentials true always;`; map the allowed origins explicitly (`map $http_origin $cors_origin { … }`)"},
			{Apache, "`Header always set Access-Control-Allow-Origin \"https://app.example.com\"` with `Access-Control-Allow-Credentials true`, never a copied `Origin`"},
			{Caddy, "`header Access-Control-Allow-Origin \"https://app.example.com\"` with `Access-Control-Allow-Credentials true`, never `{http.request.header.Origin}`"},
			{Django, "django-cors-headers: `CORS_ALLOWED_ORIGINS = [\"https://app.example.com\"]` with `CORS_ALLOW_CREDENTIALS = True`, never `CORS_ALLOW_ALL_ORIGINS = True`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[defaults.cors] origins` lists exact origins, which portcullis compares with `Origin`; remove the application's own CORS headers"},
			{Nginx, "`map $http_origin $cors_origin { default \"\"; \"https://app.example.com\" $http_origin; }`, then `add_header Access-Control-Allow-Origin $cors_origin always;` and `add_header Vary Origin always;`"},
			{Apache, "`SetEnvIf Origin \"^https://app\\.example\\.com$\" CORS_OK`, then `Header always set Access-Control-Allow-Origin \"https://app.example.com\" env=CORS_OK` and `Header always merge Vary Origin`"},
			{Caddy, "`@allowed header Origin https://app.example.com`, then `header @allowed Access-Control-Allow-Origin https://app.example.com` and `header Vary Origin`"},
			{Django, "django-cors-headers: `CORS_ALLOWED_ORIGINS = [\"https://app.example.com\"]` instead of reflecting `Origin` in a view"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `\"null\"` is refused in `[defaults.cors] origins`"},
			{Nginx, "Leave `null` out of the origins mapped to `Access-Control-Allow-Origin`"},
			{Apache, "Leave `null` out of the `SetEnvIf Origin` pattern that allows origins"},
			{Caddy, "Leave `null` out of the origins the `Access-Control-Allow-Origin` matcher allows"},
			{Django, "Leave `\"null\"` out of django-cors-headers' `CORS_ALLOWED_ORIGINS`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[defaults.cors] origins` lists the origins instead of `\"*\"`, except on a site of public data"},
			{Nginx, "`add_header Access-Control-Allow-Origin * always;` only in the `location` of public resources"},
			{Apache, "`Header always set Access-Control-Allow-Origin \"*\"` only in the `<Location>` of public resources"},
			{Caddy, "`header /public/* Access-Control-Allow-Origin *` only for public paths"},
			{Django, "django-cors-headers: `CORS_ALLOWED_ORIGINS` instead of `CORS_ALLOW_ALL_ORIGINS = True`, or `CORS_URLS_REGEX` limited to public paths"},
		},
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
		Fix:         "Reject unsafe requests whose `Sec-Fetch-Site` or `Origin` shows another origin (like Go's `http.CrossOriginProtection`), or require CSRF tokens; list trusted origins explicitly.",
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.cross_origin] disable = false`; trusted partners go in `trusted_origins`"},
			{Django, "`CsrfViewMiddleware` in `MIDDLEWARE`, `{% csrf_token %}` in every form, and `CSRF_TRUSTED_ORIGINS` for the origins you trust"},
		},
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
		Fix:         "Publish `/.well-known/security.txt` with at least `Contact` and `Expires` fields.",
		Remedies: []Remedy{
			{Portcullis, "`[defaults.security_txt] contact = [\"mailto:security@example.com\"]`"},
			{Nginx, "`location = /.well-known/security.txt { alias /etc/nginx/security.txt; }` in the HTTPS `server`"},
			{Apache, "`Alias /.well-known/security.txt /var/www/security.txt` in the HTTPS `<VirtualHost>`"},
			{Caddy, "`file_server` with the file at `.well-known/security.txt` under the site's `root`"},
			{Django, "`path(\".well-known/security.txt\", TemplateView.as_view(template_name=\"security.txt\", content_type=\"text/plain\"))`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[defaults.security_txt]` builds a valid file from `contact`, `expires_in` and the other keys"},
			{Nginx, "`charset utf-8;` in its `location`, so that it is served as `text/plain; charset=utf-8`"},
			{Apache, "`AddDefaultCharset utf-8` for it, so that it is served as `text/plain; charset=utf-8`"},
			{Caddy, "Default: `file_server` serves `.txt` as `text/plain; charset=utf-8`; correct the reported line in the file"},
			{Django, "`content_type=\"text/plain; charset=utf-8\"` on the view that serves it"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.security_txt] expires_in = \"90d\"` keeps `Expires` rolling forward"},
		},
		References: []string{
			rfc9116 + "#section-2.5.5",
		},
	},
	{
		ID: "securitytxt.expires-too-far", Category: SecurityTxt, Severity: Info,
		Title:       "security.txt expiry is more than a year away",
		Description: "RFC 9116 recommends an `Expires` value less than a year in the future, so that stale files age out; a distant date lets outdated contacts linger.",
		Fix:         "Set `Expires` less than a year ahead and refresh it regularly.",
		Remedies: []Remedy{
			{Portcullis, "Default: `[defaults.security_txt] expires_in = \"90d\"`; keep it under `\"365d\"`"},
		},
		References: []string{
			rfc9116 + "#section-2.5.5",
		},
	},
	{
		ID: "securitytxt.canonical-mismatch", Category: SecurityTxt, Severity: Low,
		Title:       "security.txt Canonical fields do not list its own URL",
		Description: "The file has `Canonical` fields, but none matches the URL it was fetched from, which suggests it was copied from another site and its contents may not apply here.",
		Fix:         "Add the file's own `https://` URL as a `Canonical` field or correct the existing ones.",
		Remedies: []Remedy{
			{Portcullis, "`[defaults.security_txt] canonical = [\"https://example.com/.well-known/security.txt\"]`, or per site in `[site.policy.security_txt]`"},
		},
		References: []string{
			rfc9116 + "#section-2.5.2",
		},
	},
	{
		ID: "securitytxt.not-https", Category: SecurityTxt, Severity: Low,
		Title:       "security.txt is not served over HTTPS",
		Description: "The file is only available over plain HTTP, but RFC 9116 requires HTTPS, because a network attacker could otherwise replace the contact details and intercept vulnerability reports.",
		Fix:         "Serve `/.well-known/security.txt` over HTTPS.",
		Remedies: []Remedy{
			{Portcullis, "Default: it is served over HTTPS, and plain HTTP is redirected (do not list it in `[defaults.redirect] exempt`)"},
			{Nginx, "`location = /.well-known/security.txt` in the HTTPS `server` only"},
			{Apache, "Its `Alias` in the HTTPS `<VirtualHost>` only"},
			{Caddy, "Default: automatic HTTPS redirects plain HTTP"},
			{Django, "`SECURE_SSL_REDIRECT = True` redirects it with the rest"},
		},
		References: []string{
			rfc9116 + "#section-3",
		},
	},
	{
		ID: "securitytxt.contact-missing", Category: SecurityTxt, Severity: Low,
		Title:       "security.txt has no Contact field",
		Description: "The required `Contact` field is absent, so the file gives researchers no way to report a vulnerability.",
		Fix:         "Add at least one `Contact` field with a `mailto:`, `https://` or `tel:` URI.",
		Remedies: []Remedy{
			{Portcullis, "`[defaults.security_txt] contact = [\"mailto:security@example.com\"]`, without which the file is not served"},
		},
		References: []string{
			rfc9116 + "#section-2.5.3",
		},
	},

	// ---- tls ----
	{
		ID: "tls.no-https", Category: TLS, Severity: Critical,
		Title:       "The site is not served over HTTPS",
		Description: "Nothing answers HTTPS while the site is served over plain HTTP, so every page, form and cookie, credentials included, crosses the network in clear text where anyone on the path can read and change it. Browsers mark such pages Not Secure, and none of the HTTPS protections (HSTS, Secure cookies, the certificate) can apply.",
		Fix:         "Serve the site over HTTPS with a certificate from a public CA (free through ACME), then redirect plain HTTP to it and add HSTS.",
		Remedies: []Remedy{
			{Portcullis, "Default: every site is served over HTTPS, public names with ACME certificates (`[site.cert] source = \"acme\"`); listen on `[listen] https = \":443\"`"},
			{Nginx, "`listen 443 ssl;` with `ssl_certificate` (the full chain) and `ssl_certificate_key`, from an ACME client such as certbot"},
			{Apache, "`SSLEngine on` in a `<VirtualHost *:443>` with `SSLCertificateFile` and `SSLCertificateKeyFile`; `mod_md` (`MDomain example.com`) obtains them by ACME"},
			{Caddy, "Default: automatic HTTPS for every site with a domain name"},
		},
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
		Fix:         "Accept only TLS 1.2 and 1.3; do not lower the minimum version for old clients.",
		Remedies: []Remedy{
			{Portcullis, "Default: `[tls] profile = \"intermediate\"` (TLS 1.2 and 1.3) or `\"modern\"` (TLS 1.3 only); no profile offers older versions"},
			{Nginx, "`ssl_protocols TLSv1.2 TLSv1.3;`"},
			{Apache, "`SSLProtocol -all +TLSv1.2 +TLSv1.3`"},
			{Caddy, "Default: TLS 1.2 and 1.3 only (`tls { protocols tls1.2 tls1.3 }`)"},
		},
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
		Fix:         "Enable TLS 1.3 on the server, and check any proxy or load balancer in front, which may cap the version first.",
		Remedies: []Remedy{
			{Portcullis, "Default: both `[tls] profile` values offer TLS 1.3; check the proxy or load balancer in front"},
			{Nginx, "`ssl_protocols TLSv1.2 TLSv1.3;` (OpenSSL 1.1.1 or later)"},
			{Apache, "`SSLProtocol -all +TLSv1.2 +TLSv1.3` (httpd 2.4.37 and OpenSSL 1.1.1 or later)"},
			{Caddy, "Default: TLS 1.3 is on; remove a `protocols` maximum of `tls1.2` from `tls { }`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `[tls] profile = \"intermediate\"` offers only ECDHE suites with AES-GCM or ChaCha20-Poly1305"},
			{Nginx, "`ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;`"},
			{Apache, "`SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20`"},
			{Caddy, "Default: ECDHE suites with AES-GCM or ChaCha20-Poly1305 only; remove the others from any `tls { ciphers … }`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `[tls] profile = \"intermediate\"` offers only ECDHE suites with AES-GCM or ChaCha20-Poly1305"},
			{Nginx, "`ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;`"},
			{Apache, "`SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20`"},
			{Caddy, "Default: ECDHE suites with AES-GCM or ChaCha20-Poly1305 only; remove CBC suites from any `tls { ciphers … }`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `[tls] profile = \"intermediate\"` offers only ECDHE suites"},
			{Nginx, "`ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;`"},
			{Apache, "`SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20`"},
			{Caddy, "Default: ECDHE suites only; remove `TLS_RSA_…` suites from any `tls { ciphers … }`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: portcullis (Go's crypto/tls) offers no DHE suite"},
			{Nginx, "`ssl_dhparam` with a 2048-bit group such as RFC 7919 `ffdhe2048`, or `ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;` without DHE"},
			{Apache, "`SSLOpenSSLConfCmd DHParameters` with a 2048-bit group file (httpd 2.4.8+), or `SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20` without DHE"},
			{Caddy, "Default: Caddy (Go's crypto/tls) offers no DHE suite"},
		},
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
		Fix:         "Enable OCSP stapling on the server (Go: `tls.Certificate.OCSPStaple`), or get a certificate without must-staple.",
		Remedies: []Remedy{
			{Portcullis, "`[site.cert] source = \"acme\"`, whose certificates certmagic staples; or a certificate without must-staple"},
			{Nginx, "`ssl_stapling on;` and `ssl_stapling_verify on;`, with a `resolver`"},
			{Apache, "`SSLUseStapling on` in the virtual host, and `SSLStaplingCache shmcb:logs/ssl_stapling(32768)` outside it"},
			{Caddy, "Default: Caddy staples OCSP responses automatically"},
		},
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc7633",
			"https://www.rfc-editor.org/rfc/rfc6066#section-8",
		},
	},
	{
		ID: "tls.no-ocsp-stapling", Category: TLS, Severity: Info,
		Title:       "OCSP response not stapled",
		Description: "The certificate names an OCSP responder but the server does not staple a response, so clients that check revocation ask the CA themselves: slower, a soft-fail, and it tells the CA who visits the site. Certificates without an OCSP URL (Let's Encrypt's since 2025) are not concerned.",
		Fix:         "Enable OCSP stapling on the server (Go: `tls.Certificate.OCSPStaple`).",
		Remedies: []Remedy{
			{Portcullis, "`[site.cert] source = \"acme\"`, whose certificates certmagic staples"},
			{Nginx, "`ssl_stapling on;` and `ssl_stapling_verify on;`, with a `resolver`"},
			{Apache, "`SSLUseStapling on` in the virtual host, and `SSLStaplingCache shmcb:logs/ssl_stapling(32768)` outside it"},
			{Caddy, "Default: Caddy staples OCSP responses automatically"},
		},
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc6066#section-8",
			"https://www.rfc-editor.org/rfc/rfc6961",
		},
	},
	{
		ID: "tls.no-h2", Category: TLS, Severity: Info,
		Title:       "HTTP/2 is not offered",
		Description: "The server does not negotiate HTTP/2 through ALPN, so clients fall back to HTTP/1.1. This affects performance, not security.",
		Fix:         "Offer HTTP/2 through ALPN on the HTTPS listener; Go's net/http does unless `TLSNextProto` or the protocol settings disable it.",
		Remedies: []Remedy{
			{Portcullis, "Default: HTTP/2 is offered through ALPN on `[listen] https`"},
			{Nginx, "`http2 on;` (nginx 1.25.1+), or `listen 443 ssl http2;` before"},
			{Apache, "`Protocols h2 http/1.1`, with `mod_http2`"},
			{Caddy, "Default: HTTP/2 is on (`protocols h1 h2 h3` in the global `servers` options)"},
		},
		References: []string{
			"https://www.rfc-editor.org/rfc/rfc9113",
			"https://www.rfc-editor.org/rfc/rfc7301",
		},
	},
	{
		ID: "tls.no-server-preference", Category: TLS, Severity: Info,
		Title:       "Server does not enforce its cipher suite order",
		Description: "The server lets the client's preference decide the cipher suite. That is harmless, and what Mozilla recommends, when every enabled suite is strong, but lets clients pick a weak suite if any is enabled.",
		Fix:         "Enable only strong suites, which makes the order irrelevant; otherwise make the server's order win.",
		Remedies: []Remedy{
			{Portcullis, "Default: only strong suites are offered, so the client's order is safe (Go ignores `PreferServerCipherSuites`)"},
			{Nginx, "Offer only strong suites (`ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;`); `ssl_prefer_server_ciphers off;` is then safe"},
			{Apache, "Offer only strong suites (`SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20`), or `SSLHonorCipherOrder on`"},
			{Caddy, "Default: only strong suites are offered, so the client's order is safe"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[tls] profile = \"intermediate\"` (the default) or `\"modern\"`"},
			{Nginx, "`ssl_protocols TLSv1.2 TLSv1.3;` and `ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;`"},
			{Apache, "`SSLProtocol -all +TLSv1.2 +TLSv1.3` and `SSLCipherSuite ECDHE+AESGCM:ECDHE+CHACHA20`"},
			{Caddy, "Default: remove `protocols` and `ciphers` overrides from `tls { }`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[site.cert] source = \"acme\"` (the default for public names) renews automatically; `\"files\"` reloads files renewed by another client"},
			{Nginx, "Renew with an ACME client (certbot, acme.sh, lego) from a timer, then `nginx -s reload`"},
			{Apache, "`MDomain example.com` (`mod_md`) renews by ACME; or renew with an ACME client, then `apachectl graceful`"},
			{Caddy, "Default: automatic HTTPS renews certificates"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[site.cert] source = \"acme\"` renews in the last third of the lifetime (`[acme] renewal_window`); `[alerts] webhook` reports renewal failures"},
			{Nginx, "Check the ACME client's timer (`certbot renew --dry-run`) and that a renewal hook runs `nginx -s reload`"},
			{Apache, "`MDomain example.com` (`mod_md`) renews by ACME, and `MDMessageCmd` reports renewals and errors"},
			{Caddy, "Default: automatic HTTPS renews certificates; check Caddy's log for renewal errors"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[site.cert] source = \"acme\"` obtains a certificate for every name in `[[site]] hosts`; with `\"files\"`, the certificate must cover them"},
			{Nginx, "`ssl_certificate` whose subject alternative names cover every `server_name` of its `server`"},
			{Apache, "`SSLCertificateFile` covering `ServerName` and every `ServerAlias`; `MDomain` lists them all"},
			{Caddy, "Default: automatic HTTPS obtains a certificate for each site address"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[site.cert] source = \"acme\"` for public names (the local CA is trusted only where it is installed); with `\"files\"`, `cert` holds the full chain, leaf first"},
			{Nginx, "`ssl_certificate` pointing at the full chain (`fullchain.pem`), leaf first"},
			{Apache, "`SSLCertificateFile` with the leaf and its intermediates (httpd 2.4.8+; `SSLCertificateChainFile` before)"},
			{Caddy, "Default: automatic HTTPS serves the full chain from a public CA; files given to `tls` must hold the chain"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[site.cert] source = \"acme\"` for public names; `\"local\"` only for localhost names"},
			{Nginx, "`ssl_certificate` from a public CA (through ACME: certbot, acme.sh, lego), not a self-signed one"},
			{Apache, "`MDomain example.com` (`mod_md`) obtains a publicly trusted certificate by ACME"},
			{Caddy, "Default: public names get publicly trusted certificates; `tls internal` is for development only"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: `[acme] key_type = \"ecdsa-p256\"`; with `\"files\"`, reissue with a P-256 or a 2048-bit RSA key"},
			{Caddy, "Default: ECDSA P-256 keys (the global `key_type p256`)"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Nothing to configure in portcullis: reissue from a CA that signs with SHA-256 (every ACME CA does)"},
			{Nginx, "`ssl_certificate` with the reissued leaf and the CA's current intermediates"},
			{Apache, "`SSLCertificateFile` with the reissued leaf and the CA's current intermediates"},
			{Caddy, "Default: ACME CAs sign with SHA-256 or stronger"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Nothing to configure in the server: compare the chain's pins (`portcullis certs list`) with those given to `portcullis audit --pin`, and keep a backup pin"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`chmod 600` the file named by `[site.cert] key`, owned by the account that runs portcullis"},
			{Nginx, "`chmod 600` the `ssl_certificate_key` file, owned by root (nginx reads it before dropping privileges)"},
			{Apache, "`chmod 600` the `SSLCertificateKeyFile`, owned by root (httpd reads it before dropping privileges)"},
			{Caddy, "Default: Caddy stores its keys readable by its own user only; `chmod 600` key files given to `tls`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Nothing to configure in portcullis: publish `example.com. CAA 0 issue \"letsencrypt.org\"` in DNS, naming the CA of `[acme] ca`"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Nothing to configure in portcullis: allow the CAs of `[acme] ca` and `[acme.fallback]` in the CAA records (`letsencrypt.org`; `sectigo.com` for ZeroSSL)"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Nothing to configure in portcullis: look up the CA's CAA identifier in its documentation and check the `issue` records"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[defaults.csp] upgrade_insecure_requests = true` while the page's `http://` URLs are fixed"},
			{Nginx, "`add_header Content-Security-Policy \"upgrade-insecure-requests\" always;` while the page's `http://` URLs are fixed"},
			{Apache, "`Header always set Content-Security-Policy \"upgrade-insecure-requests\"` while the page's `http://` URLs are fixed"},
			{Caddy, "`header Content-Security-Policy \"upgrade-insecure-requests\"` while the page's `http://` URLs are fixed"},
			{Django, "Django 6.0: `SECURE_CSP = {\"upgrade-insecure-requests\": True}` while the templates' `http://` URLs are fixed"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[defaults.csp] upgrade_insecure_requests = true` while the page's `http://` URLs are fixed"},
			{Nginx, "`add_header Content-Security-Policy \"upgrade-insecure-requests\" always;` while the page's `http://` URLs are fixed"},
			{Apache, "`Header always set Content-Security-Policy \"upgrade-insecure-requests\"` while the page's `http://` URLs are fixed"},
			{Caddy, "`header Content-Security-Policy \"upgrade-insecure-requests\"` while the page's `http://` URLs are fixed"},
			{Django, "Django 6.0: `SECURE_CSP = {\"upgrade-insecure-requests\": True}` while the templates' `http://` URLs are fixed"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Nothing to configure in portcullis: add `integrity` and `crossorigin=\"anonymous\"` to the page's elements, or host the files yourself"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Default: plain HTTP only redirects to HTTPS (`[defaults.redirect]`); point the CDN at `[listen] https` and firewall the origin to the CDN's addresses"},
			{Nginx, "`return 301 https://$host$request_uri;` on port 80, and `allow` for the CDN's ranges then `deny all;` in the HTTPS `server`"},
			{Apache, "`Redirect permanent / https://example.com/` on port 80, and `Require ip` with the CDN's ranges in the HTTPS `<VirtualHost>`"},
			{Caddy, "Default: automatic HTTPS redirects plain HTTP; a `remote_ip` matcher with `abort` keeps out everyone but the CDN"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "`[site.cert] source = \"acme\"` for the site's name, or `\"files\"` with the CDN's origin certificate"},
			{Nginx, "`ssl_certificate` for the site's name (from ACME, or the CDN's origin CA)"},
			{Apache, "`SSLCertificateFile` for the site's name (from `mod_md`, or the CDN's origin CA)"},
			{Caddy, "Default: automatic HTTPS obtains a certificate for the site's name; `tls cert.pem key.pem` for the CDN's origin certificate"},
		},
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
		Remedies: []Remedy{
			{Portcullis, "Set the security headers in portcullis only (`[defaults.hsts]`, `[defaults.headers]`, `[defaults.csp]`), and remove the CDN's rules that drop or rewrite them"},
			{Nginx, "Set each security header once at the origin (`add_header … always;`), and remove the CDN's rules that drop or rewrite it"},
			{Apache, "Set each security header once at the origin (`Header always set …`), and remove the CDN's rules that drop or rewrite it"},
			{Caddy, "Set each security header once at the origin (`header …`), and remove the CDN's rules that drop or rewrite it"},
		},
		References: []string{
			owaspHeaders,
			rfc9110 + "#section-7.6",
		},
	},
}
