"""Writes of genetic data, one module per sub-domain.

audit      the audit log of every touch of genetic data
uploads    receiving an upload and queueing it
parsing    the worker's parse of an upload, the stuck-job sweeper, the "done" email
current    which finished upload the member's results come from; removing one upload
backfill   members' results for a SNP added after they uploaded
export     a member's own data as a zip
deletion   erasing a member's genetic data, files included
catalogue  importing the SNP catalogue

Every function is keyword-only and owns its transactions. Storage I/O (raw files, encrypted
genome blobs) happens outside ``transaction.atomic``; tasks are enqueued only on commit.
Nothing here logs a genotype value: log lines carry upload ids and counts only.
"""
