"""What the HTTP API accepts (request bodies) and returns (``XPublic``, ``XsPublic``): one module
per router (`loyalty`, `attendance`, `referrals`, `checkout`, `portal`, `operator`, `ops`), each
with the wording its responses carry, and `common` for what they share (`ErrorPublic`, paging
limits, money).

Every number and text a request model accepts is bounded by the limits in
`starcard_events.limits`, the same the domain's ``check_*`` invariants and the event contracts
enforce. The models are lax Python models (the dashboard's forms build them from strings); the
API reads JSON into them strictly (`starcard_gateway.deps.read_strictly`). A limit the
domain refuses with its own words (a blank message, a malformed tag) is documented here in the
JSON Schema and enforced there, so the refusal says what to fix in the tenant's terms.
"""
