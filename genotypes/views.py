"""Genetics pages: upload, status, SNP and gene pages, rsid look-up, the member's activity
log, export and deletion (My genetics groups results by article topics: articles.insight_views).

Views are thin: they check who is asking, call a selector or a service and render. Every
URL that names an upload answers 404 to anyone but its owner (see ``selectors``).
"""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.return_to import return_to_of
from billing.selectors import is_member, membership_join_url
from genlife.storage import storage_is_low
from genotypes import catalogue_selectors, selectors
from genotypes.forms import GenomeUploadForm, RsidLookupForm
from genotypes.models import GeneticDataAuditLog
from genotypes.sample_file import sample_genome_bytes
from genotypes.services import audit, current, deletion, uploads
from genotypes.services.export import genome_data_export
from genotypes.upload_handlers import SealingUploadHandler, UploadSizeLimitHandler

Action = GeneticDataAuditLog.Action
# Multipart framing around the file: boundaries, headers, the consent and CSRF fields.
MULTIPART_OVERHEAD = 64 * 1024
# Uploads per member are limited like allauth's actions: ACCOUNT_RATE_LIMITS["genome_upload"].
UPLOAD_RATE_LIMIT_ACTION = "genome_upload"
TOO_MANY_UPLOADS = (
    "You have uploaded several files in a short time. Please wait a while before "
    "trying again; if a file keeps failing, the message on its status page says why."
)
# Exports per member: ACCOUNT_RATE_LIMITS["genome_export"] (each reads a whole stored genome).
EXPORT_RATE_LIMIT_ACTION = "genome_export"
TOO_MANY_EXPORTS = (
    "You have downloaded your data several times in a short time. Please wait a "
    "while before downloading it again."
)
# Look-ups per member: ACCOUNT_RATE_LIMITS["genome_lookup"] (each decrypts a stored genome).
LOOKUP_RATE_LIMIT_ACTION = "genome_lookup"
TOO_MANY_LOOKUPS = (
    "You have looked up many variants in a short time. Please wait a few minutes before "
    "looking up another."
)


def index(request: HttpRequest) -> HttpResponse:
    """What genlife reads from a raw DNA file, and which variants the articles cover."""
    return render(
        request,
        "genotypes/index.html",
        {
            "snps": selectors.snp_catalogue(),
            "max_mb": settings.GENOME_UPLOAD_MAX_BYTES // (1024 * 1024),
            "vcf_max_mb": settings.GENOME_VCF_UPLOAD_MAX_BYTES // (1024 * 1024),
        },
    )


@require_GET
def sample_file(request: HttpRequest) -> HttpResponse:
    """A made-up 23andMe-layout file for trying the upload (the same bytes every time)."""
    response = HttpResponse(sample_genome_bytes(), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="genlife-sample-23andme.txt"'
    return response


@require_GET
def evidence_scale(request: HttpRequest) -> HttpResponse:
    """Public: what our evidence levels mean and how findings are cited."""
    return render(request, "genotypes/evidence.html", {"levels": selectors.evidence_scale()})


def _members_only(request: HttpRequest) -> HttpResponse:
    context = {"join_url": membership_join_url()}
    return render(request, "genotypes/members_only.html", context, status=403)


def _too_large_message() -> str:
    limit_mb = uploads.upload_max_bytes() // (1024 * 1024)
    return (
        f"The file is larger than {limit_mb} MB. Raw DNA files are much smaller (a 23andMe "
        "or AncestryDNA file is about 5-25 MB, a whole-genome VCF.gz 150-300 MB), so please "
        "check you picked the right one."
    )


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


@csrf_exempt
@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """The upload form. The body is refused unread when it is larger than the limit."""
    if not is_member(request.user):
        return _members_only(request)
    if request.method == "POST":
        # Over the limit: refused before a byte of the body is read (a dry run counts nothing;
        # the attempt is counted in _upload_checked, once the CSRF token has been checked).
        if not ratelimit.consume(
            request, action=UPLOAD_RATE_LIMIT_ACTION, user=request.user, dry_run=True
        ):
            return _upload_refused(request, TOO_MANY_UPLOADS, status=429)
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > uploads.upload_max_bytes() + MULTIPART_OVERHEAD:
            return _upload_refused(request, _too_large_message(), status=413)
        if storage_is_low():
            return _upload_refused(request, uploads.STORAGE_FULL, status=507)
        # The largest format's limit (a whole-genome VCF); genome_upload_create then holds
        # every other file to GENOME_UPLOAD_MAX_BYTES.
        handler = UploadSizeLimitHandler(request, uploads.upload_max_bytes())
        # Sealed as it arrives, whatever its size (see SealingUploadHandler): never held whole
        # in memory, never in clear on disk; the service then moves it into storage.
        sealing = SealingUploadHandler(request)
        request.upload_handlers = [handler, sealing]
        return _upload_checked(request, handler, sealing)
    return _upload_checked(request, None, None)


def _upload_refused(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"errors": {"file": [message]}}, status=status)
    form = GenomeUploadForm()
    return render(
        request, "genotypes/upload.html", _upload_context(form, error=message), status=status
    )


def _upload_context(form, error: str = "") -> dict:
    return {
        "form": form,
        "error": error,
        "max_mb": settings.GENOME_UPLOAD_MAX_BYTES // (1024 * 1024),
        "vcf_max_mb": settings.GENOME_VCF_UPLOAD_MAX_BYTES // (1024 * 1024),
        "max_bytes": uploads.upload_max_bytes(),
    }


@csrf_protect
def _upload_checked(
    request: HttpRequest,
    handler: UploadSizeLimitHandler | None,
    sealing: SealingUploadHandler | None,
) -> HttpResponse:
    if request.method != "POST":
        return render(request, "genotypes/upload.html", _upload_context(GenomeUploadForm()))
    if not ratelimit.consume(request, action=UPLOAD_RATE_LIMIT_ACTION, user=request.user):
        return _upload_refused(request, TOO_MANY_UPLOADS, status=429)
    form = GenomeUploadForm(request.POST, request.FILES)
    if handler is not None and handler.exceeded:
        return _upload_refused(request, _too_large_message(), status=413)
    if sealing is not None and sealing.no_space:
        return _upload_refused(request, uploads.STORAGE_FULL, status=507)
    if form.is_valid():
        try:
            created = uploads.genome_upload_create(
                user=request.user,
                file=form.cleaned_data["file"],
                consent=form.cleaned_data["consent"],
                keep_raw=form.cleaned_data["keep_raw"],
            )
        except uploads.UploadStorageFull as error:
            return _upload_refused(request, error.message, status=507)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            status_url = reverse("genotypes:upload_status", args=[created.pk])
            if _wants_json(request):
                return JsonResponse({"status_url": status_url}, status=201)
            return redirect(status_url)
    if _wants_json(request):
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    return render(request, "genotypes/upload.html", _upload_context(form), status=400)


def _upload_for(request: HttpRequest, upload_id):
    """The upload through the one gate; a read of another member's upload is audited."""
    upload_obj = selectors.genome_upload_get_for(
        user=request.user,
        upload_id=upload_id,
        second_factor=selectors.session_used_second_factor(request=request),
    )
    if request.user.pk != upload_obj.user_id:
        audit.genetic_data_audit(
            actor=request.user,
            subject_user_id=upload_obj.user_id,
            action=Action.VIEWED_STATUS,
            upload_id=upload_obj.pk,
            detail="on the site",
        )
    return upload_obj


@never_cache
@login_required
@require_GET
def upload_status(request: HttpRequest, upload_id) -> HttpResponse:
    upload_obj = _upload_for(request, upload_id)
    context = {
        "upload": upload_obj,
        # the article the member was reading when they joined (billing.return_to): once
        # their file is read, the way back to it, now with their genotypes in it
        "return_to": return_to_of(request=request) if request.user.pk == upload_obj.user_id else "",
    }
    return render(request, "genotypes/upload_status.html", context)


def _own_upload(request: HttpRequest, upload_id):
    """The signed-in member's own upload (404 for anyone else's, staff included)."""
    return selectors.genome_upload_get_for(user=request.user, upload_id=upload_id)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@reauthentication_required(allow_get=True)
def upload_remove(request: HttpRequest, upload_id) -> HttpResponse:
    """GET: confirm. POST (after re-authentication): delete this upload, files and results."""
    upload_obj = _own_upload(request, upload_id)
    if request.method == "GET":
        return render(request, "genotypes/upload_remove.html", {"upload": upload_obj})
    current.genome_upload_remove(user=request.user, upload_id=upload_obj.pk)
    messages.success(
        request,
        f"{upload_obj.original_name or 'The file'} and everything read from it are deleted.",
    )
    return redirect("genotypes:mine")


@never_cache
@login_required
@require_POST
def upload_make_current(request: HttpRequest, upload_id) -> HttpResponse:
    """Results from now on come from this finished upload (the member's choice)."""
    upload_obj = _own_upload(request, upload_id)
    try:
        current.genome_upload_make_current(user=request.user, upload_id=upload_obj.pk)
    except current.UploadNotSelectable as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Your results now come from {upload_obj.original_name or 'this file'} "
            f"(uploaded {date_format(localtime(upload_obj.created), 'j M Y')}).",
        )
    return redirect("genotypes:mine")


@never_cache
@login_required
@require_GET
def upload_status_json(request: HttpRequest, upload_id) -> JsonResponse:
    upload_obj = _upload_for(request, upload_id)
    return JsonResponse(
        {
            "status": upload_obj.status,
            "status_display": upload_obj.get_status_display(),
            "progress": upload_obj.progress,
            "reason": upload_obj.failure_reason,
            "finished": upload_obj.is_finished,
            "snp_count": upload_obj.snp_count,
            "format": upload_obj.format,
            "build": upload_obj.build,
        }
    )


def _audit_own_results(request: HttpRequest, members, where: str) -> None:
    """Recorded when the page holds the member's own genotypes (``audit.genetic_data_shown``)."""
    if members is not None and members.has_genotypes and members.report.rows:
        audit.genetic_data_shown(user=request.user, where=where)


@never_cache
@require_GET
def snp_detail(request: HttpRequest, rsid: str) -> HttpResponse:
    """A catalogue SNP: the public part for everyone, the members' part (the reader's own
    genotype, every genotype's finding) for members only (catalogue_selectors decides)."""
    page = catalogue_selectors.snp_page_for(
        user=request.user, rsid=rsid, population=request.GET.get("population", "")
    )
    _audit_own_results(request, page.members, "a SNP page")
    return render(
        request,
        "genotypes/snp_detail.html",
        {"page": page, "snp": page.snp, "join_url": membership_join_url(next=request.path)},
    )


@never_cache
@require_GET
def gene_detail(request: HttpRequest, symbol: str) -> HttpResponse:
    """A gene: its summary, catalogue SNPs and articles; members also see their genotypes."""
    canonical = catalogue_selectors.gene_symbol_canonical(symbol=symbol)
    if canonical is None:
        raise Http404("No such gene in our catalogue.")
    if canonical != symbol:
        return redirect("genotypes:gene_detail", symbol=canonical, permanent=True)
    page = catalogue_selectors.gene_page_for(user=request.user, symbol=canonical)
    _audit_own_results(request, page.members, "a gene page")
    return render(
        request,
        "genotypes/gene_detail.html",
        {"page": page, "join_url": membership_join_url(next=request.path)},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """Members: look up any rsid in their own current file and see the call as stored."""
    if not is_member(request.user):
        return _members_only(request)
    if request.method == "GET":
        return render(request, "genotypes/lookup.html", {"form": RsidLookupForm()})
    if not ratelimit.consume(request, action=LOOKUP_RATE_LIMIT_ACTION, user=request.user):
        context = {"form": RsidLookupForm(request.POST), "error": TOO_MANY_LOOKUPS}
        return render(request, "genotypes/lookup.html", context, status=429)
    form = RsidLookupForm(request.POST)
    if not form.is_valid():
        return render(request, "genotypes/lookup.html", {"form": form}, status=400)
    result = selectors.genome_rsid_lookup_for(user=request.user, rsid=form.cleaned_data["rsid"])
    if result.state != "no_upload":
        # Neither the rsid nor the answer is written down (see Action.LOOKED_UP).
        audit.genetic_data_audit(
            actor=request.user,
            subject_user_id=request.user.pk,
            action=Action.LOOKED_UP,
            upload_id=result.upload_id,
        )
    return render(request, "genotypes/lookup.html", {"form": form, "result": result})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@reauthentication_required(allow_get=True)
def export(request: HttpRequest) -> HttpResponse:
    """GET: what the export holds. POST (after re-authentication): the zip download."""
    if request.method == "GET":
        return render(request, "genotypes/export.html", {})
    if not ratelimit.consume(request, action=EXPORT_RATE_LIMIT_ACTION, user=request.user):
        return render(request, "genotypes/export.html", {"error": TOO_MANY_EXPORTS}, status=429)
    # Streamed: the zip is made while it is sent, one slice of the genome at a time.
    response = StreamingHttpResponse(
        genome_data_export(user=request.user), content_type="application/zip"
    )
    response["Content-Disposition"] = 'attachment; filename="genlife-genetic-data.zip"'
    return response


ACTIVITY_PAGE_SIZE = 50


@never_cache
@login_required
@require_GET
def activity(request: HttpRequest) -> HttpResponse:
    """Every access to the member's own genetic data, newest first, in plain words."""
    page = Paginator(selectors.genetic_data_activity_for(user=request.user), ACTIVITY_PAGE_SIZE)
    page = page.get_page(request.GET.get("page"))
    entries = [selectors.activity_entry_from(row, owner_id=request.user.pk) for row in page]
    return render(request, "genotypes/activity.html", {"page": page, "entries": entries})


DELETE_CONFIRM_MISSING = "Tick the box to confirm that you want to delete your genetic data."


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@reauthentication_required(allow_get=True)
def delete(request: HttpRequest) -> HttpResponse:
    """GET: what goes, and a box to tick. POST (after re-authentication, with the box ticked):
    delete every file, blob and row."""
    context = {"uploads": selectors.genome_uploads_of(user=request.user)}
    if request.method == "GET":
        return render(request, "genotypes/delete.html", context)
    if request.POST.get("confirm") != "delete":
        context["error"] = DELETE_CONFIRM_MISSING
        return render(request, "genotypes/delete.html", context, status=400)
    count = deletion.genome_data_delete_all(user=request.user)
    messages.success(
        request,
        "Your genetic data has been deleted: "
        f"{count} upload{'s' if count != 1 else ''}, every result and every share link.",
    )
    return redirect("genotypes:mine")


def account_panel(request: HttpRequest) -> str:
    """The "Your genetic data" panel of the account page (registered in members.hooks)."""
    return render_to_string("genotypes/account_panel.html", {}, request=request)
