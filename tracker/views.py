"""Status pages. Thin: they read through releasability and change through workflow.py."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .models import ActionItem


@login_required
def dashboard(request):
    items = ActionItem.objects.visible_to(request.user)
    return render(request, "tracker/dashboard.html", {"item_count": items.count()})
