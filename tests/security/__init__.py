"""The security matrix (issue 7), through the test client.

test_gating_matrix        members-only text on every channel, for six kinds of non-member
test_access_control       ids of someone else's uploads, exports, billing: 404 or own data only
test_admin_access         staff-only admin, allauth login, TOTP for genetic-data staff
test_mfa_secrets          second-factor secrets encrypted at rest
test_upload_content       uploads judged by their bytes, not the claimed type or name
test_csv_export           no spreadsheet formula in the "my data" export
test_rate_limits          login, signup, password reset, upload, checkout: 429 past the limit
test_headers_everywhere   security headers on every kind of response and refusal

Run: .venv/bin/pytest tests/security (PostgreSQL and Redis when DATABASE_URL and REDIS_URL
are set, SQLite and a file cache otherwise).
"""
