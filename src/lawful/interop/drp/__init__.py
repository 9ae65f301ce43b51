"""The Data Rights Protocol 1.0 (Consumer Reports), as the covered business: authorized
agents registered by staff pair with us (`POST /v1/agent/{id}`), send signed requests
(`/v1/data-rights-request`), follow and revoke them, and get a status callback on each change.
"""
