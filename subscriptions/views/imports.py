"""/clients/import/: a manager's import of a client file — upload, preview, confirm.

The preview parses and checks the whole file (rows, cost per pool, errors by line) and
keeps its text in the session with a one-time token; confirming imports exactly what was
previewed, through the same service as `manage.py import_clients`, all or nothing.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from accounts.access import manager_required
from accounts.models import OrganizationKind
from portal.numbers import figures

from .. import imports, services
from ..selectors.scope import Visible
from ..services import idempotency
from ..services.idempotency import issue_token, token_is_valid

SESSION_KEY = "client_import"
PREVIEW_ROWS = 200


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (CSV)"),
        help_text=gettext_lazy(
            "Columns client;reseller;product;users;start_date;end_date, separated by ; or , "
            "— dates as YYYY-MM-DD or DD/MM/YYYY."
        ),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,text/csv"}),
    )
    partner = forms.ModelChoiceField(
        label=gettext_lazy("Partner"), queryset=None, required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, partners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if partners is None:
            del self.fields["partner"]
        else:
            self.fields["partner"].queryset = partners
            self.fields["partner"].required = True

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.")
                % figures({"size": imports.MAX_UPLOAD_BYTES // (1024 * 1024)})
            )
        return upload


def _acting_organizations(visible):
    """(partner, reseller) the user imports for; the partner is None for staff (they pick)."""
    own = visible.own_organization()
    if own is None:
        return None, None
    if own.kind == OrganizationKind.RESELLER:
        return own.parent, own
    return own, None


def _preview(request, checked, *, partner, reseller, token, upload_form=None, filename=""):
    return render(
        request,
        "subscriptions/client_import.html",
        {
            "form": upload_form,
            "checked": checked,
            "report": imports.report_lines(checked),
            "rows": checked.rows[:PREVIEW_ROWS],
            "more_rows": max(0, len(checked.rows) - PREVIEW_ROWS),
            "partner": partner,
            "reseller": reseller,
            "token": token,
            "filename": filename,
        },
    )


@login_required
@manager_required
@require_http_methods(["GET", "POST"])
def client_import(request):
    visible = Visible(request.user)
    partner, reseller = _acting_organizations(visible)
    partners = visible.partners() if visible.scope.everything else None
    if request.method == "POST" and request.POST.get("step") == "confirm":
        return _confirm(request, visible, reseller)
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES, partners=partners)
        if form.is_valid():
            partner = form.cleaned_data.get("partner") or partner
            text = imports.decode(form.cleaned_data["file"].read())
            checked = imports.check(text, partner=partner, reseller=reseller)
            token = None
            if checked.ok:
                token = issue_token(request.user)
                request.session[SESSION_KEY] = {
                    "token": token,
                    "text": text,
                    "partner_id": partner.pk,
                    "reseller_id": reseller.pk if reseller else None,
                }
            return _preview(
                request, checked, partner=partner, reseller=reseller, token=token,
                upload_form=ImportUploadForm(partners=partners),
                filename=form.cleaned_data["file"].name,
            )
    else:
        form = ImportUploadForm(partners=partners)
    return render(
        request,
        "subscriptions/client_import.html",
        {
            "form": form,
            "partner": partner,
            "reseller": reseller,
            "header": ";".join(imports.HEADER),
        },
    )


def _confirm(request, visible, reseller):
    token = request.POST.get("token", "")
    pending = request.session.get(SESSION_KEY) or {}
    if not token_is_valid(request.user, token):
        messages.error(request, _("This preview has expired: upload the file again."))
        return redirect("client_import")
    if pending.get("token") != token:
        # Already confirmed (a double click, a retry): answer with what was done.
        done = idempotency.form_result(token, operation="import")
        if done is not None:
            messages.info(request, _import_message(done))
            return redirect("client_list")
        messages.error(request, _("This preview has expired: upload the file again."))
        return redirect("client_import")
    # Re-resolved within the user's scope: a session outliving a change of role or scope
    # cannot import for an organization the user no longer manages.
    if reseller is not None:
        partner = reseller.parent if reseller.parent_id == pending["partner_id"] else None
    else:
        partner = visible.partners().filter(pk=pending["partner_id"]).first()
    if partner is None or pending.get("reseller_id") != (reseller.pk if reseller else None):
        messages.error(request, _("This preview has expired: upload the file again."))
        return redirect("client_import")
    try:
        result = imports.run_import(
            pending["text"], partner=partner, actor=request.user, token=token, reseller=reseller
        )
    except services.AlreadyDone as done:
        request.session.pop(SESSION_KEY, None)
        messages.info(request, _import_message(done.result))
        return redirect("client_list")
    except services.ImportRefused as refusal:
        request.session.pop(SESSION_KEY, None)
        checked = refusal.plan
        if isinstance(checked, services.ImportPlan):
            # Refused under the pools' locks (a debit since the preview): same report.
            checked = imports.Checked(rows=checked.rows, errors=checked.errors, plan=checked)
        return _preview(
            request, checked, partner=partner, reseller=reseller, token=None,
            upload_form=ImportUploadForm(
                partners=visible.partners() if visible.scope.everything else None
            ),
        )
    request.session.pop(SESSION_KEY, None)
    messages.success(
        request,
        _import_message(
            {
                "subscriptions": len(result.subscriptions),
                "clients": len({s.client_id for s in result.subscriptions}),
                "licenses": result.plan.licenses,
            }
        ),
    )
    return redirect("client_list")


def _import_message(result):
    return ngettext(
        "Imported %(subscriptions)s subscription for %(clients)s clients; %(licenses)s "
        "licenses debited.",
        "Imported %(subscriptions)s subscriptions for %(clients)s clients; %(licenses)s "
        "licenses debited.",
        int(result.get("subscriptions", 0)),
    ) % figures({
        "subscriptions": int(result.get("subscriptions", 0)),
        "clients": int(result.get("clients", 0)),
        "licenses": int(result.get("licenses", 0)),
    })
