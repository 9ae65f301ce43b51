"""The app's own console shell: staff sign-in and sign-out, API tokens, the dashboard. A
domain's pages live in the domain (`pages.py` for staff, `public.py` for the privacy center)."""
