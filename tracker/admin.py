from django.contrib import admin

from .models import ActionItem

admin.site.register(ActionItem)
