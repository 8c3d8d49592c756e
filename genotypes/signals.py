"""What the genotypes app announces to the apps above it (they subscribe; it imports none).

``genetic_data_deleted`` is sent, with ``user_id``, by ``services.deletion.genome_data_delete_all``
once a member's uploads and results are gone (their own request, support's, or account
deletion), and by ``services.current.genome_upload_remove`` when the member removes the file in
use. A receiver withdraws whatever it built on that data: the articles app
revokes the member's share links to their printable summaries.
"""

from django.dispatch import Signal

genetic_data_deleted = Signal()
