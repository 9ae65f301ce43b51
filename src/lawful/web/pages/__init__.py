"""Server-rendered pages: the privacy center (`/privacy`) and the admin console (`/admin`).
Each works with plain HTML forms: no JavaScript needed."""
