"""The HTTP kit every domain's routes and pages use: dependencies, cookies and CSRF,
templating, the admin menu, error handlers, security headers and body limits, forms, rate
limits, access-log redaction, and `Contribution` (what a domain adds to the app). It imports no
domain; the app that mounts the domains is `lawful.web` (docs/web.md)."""
