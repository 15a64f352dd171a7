"""Settings › API tokens: a user's personal access tokens, made and revoked by them alone.

A new token's text is shown once, on the page that answers the form (never stored in the
session or a message, and the page is not cached); afterwards only its first characters show.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from .. import api_tokens, two_factor
from ..models import TokenScope


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=api_tokens.NAME_MAX_LENGTH,
        help_text=gettext_lazy("What the token is for, e.g. “weekly briefing script”."),
    )
    scope = forms.ChoiceField(label=gettext_lazy("Access"), choices=TokenScope.choices)
    days = forms.TypedChoiceField(
        label=gettext_lazy("Expires after"),
        coerce=int,
        initial=90,
        choices=[
            (d, gettext_lazy("%(days)d days") % {"days": d}) for d in api_tokens.EXPIRY_CHOICES
        ],
    )


def _page(request, *, form: TokenForm, made: str | None = None, status: int = 200):
    context = {
        "form": form,
        "tokens": list(api_tokens.tokens_of(request.user)),
        "made": made,
        "now": timezone.now(),
        "needs_second_factor": request.user.is_staff and two_factor.second_factor_missing(request),
        "second_factor_url": reverse("admin:two_factor") + "?next=" + request.path,
        "docs_url": reverse("api:docs"),
    }
    return render(request, "tracker/tokens.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def api_tokens_page(request):
    if request.method != "POST":
        return _page(request, form=TokenForm())
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            _token, text = api_tokens.create_token(
                user=request.user,
                now=timezone.now(),
                second_factor_missing=two_factor.second_factor_missing(request),
                **form.cleaned_data,
            )
        except api_tokens.TokenRefused as refused:
            form.add_error(None, str(refused))
        else:
            return _page(request, form=TokenForm(), made=text, status=201)
    return _page(request, form=form, status=400)


@require_POST
@login_required
def api_token_revoke(request, token_id: int):
    try:
        api_tokens.revoke_token(user=request.user, token_id=token_id, now=timezone.now())
    except api_tokens.TokenRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("The token was revoked: it works no more."))
    return redirect("tracker:api_tokens")
