"""Writes of the identity app, one module per sub-domain (callers import the module).

users    demo and support users, the editors' group, account deletion
emails   sending the site's emails
"""
