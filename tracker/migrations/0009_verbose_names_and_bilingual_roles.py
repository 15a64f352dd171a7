# Verbose names and help texts for every model and field (the admin in both languages),
# bilingual owner roles, and the changed fields of timeline entries.

import django.db.models.deletion
import tracker.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tracker', '0008_oidc_identity'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='actionitem',
            options={'ordering': ['key'], 'permissions': [('manage_items', 'Can manage every action item (coordinator)')], 'verbose_name': 'action item', 'verbose_name_plural': 'action items'},
        ),
        migrations.AlterModelOptions(
            name='historicalsource',
            options={'get_latest_by': ('history_date', 'history_id'), 'ordering': ('-history_date', '-history_id'), 'verbose_name': 'historical report', 'verbose_name_plural': 'historical reports'},
        ),
        migrations.AlterModelOptions(
            name='organization',
            options={'ordering': ['name_en'], 'verbose_name': 'organization', 'verbose_name_plural': 'organizations'},
        ),
        migrations.AlterModelOptions(
            name='profile',
            options={'verbose_name': 'profile', 'verbose_name_plural': 'profiles'},
        ),
        migrations.AlterModelOptions(
            name='reminder',
            options={'ordering': ['-created_at', '-id'], 'verbose_name': 'reminder digest', 'verbose_name_plural': 'reminder digests'},
        ),
        migrations.AlterModelOptions(
            name='reminderitem',
            options={'verbose_name': 'digest entry', 'verbose_name_plural': 'digest entries'},
        ),
        migrations.AlterModelOptions(
            name='source',
            options={'ordering': ['-date', 'key'], 'verbose_name': 'report', 'verbose_name_plural': 'reports'},
        ),
        migrations.AlterModelOptions(
            name='statusupdate',
            options={'ordering': ['-created_at', '-id'], 'verbose_name': 'timeline entry', 'verbose_name_plural': 'timeline entries'},
        ),
        migrations.AlterModelOptions(
            name='sweeprun',
            options={'ordering': ['-started_at'], 'verbose_name': 'reminder sweep', 'verbose_name_plural': 'reminder sweeps'},
        ),
        migrations.AlterModelOptions(
            name='theme',
            options={'ordering': ['source', 'order', 'key'], 'verbose_name': 'theme', 'verbose_name_plural': 'themes'},
        ),
        migrations.AlterModelOptions(
            name='usedlink',
            options={'ordering': ['-used_at'], 'verbose_name': 'used email link', 'verbose_name_plural': 'used email links'},
        ),
        # The existing (English) role text is kept: owner_role becomes owner_role_en.
        migrations.RenameField(
            model_name='actionitem',
            old_name='owner_role',
            new_name='owner_role_en',
        ),
        migrations.RenameField(
            model_name='historicalactionitem',
            old_name='owner_role',
            new_name='owner_role_en',
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='owner_role_en',
            field=models.CharField(blank=True, help_text='The role that should own the item, as the report would name it.', max_length=200, verbose_name="owner's role (English)"),
        ),
        migrations.AddField(
            model_name='actionitem',
            name='owner_role_ko',
            field=models.CharField(blank=True, max_length=200, verbose_name="owner's role (Korean)"),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='owner_role_en',
            field=models.CharField(blank=True, help_text='The role that should own the item, as the report would name it.', max_length=200, verbose_name="owner's role (English)"),
        ),
        migrations.AddField(
            model_name='historicalactionitem',
            name='owner_role_ko',
            field=models.CharField(blank=True, max_length=200, verbose_name="owner's role (Korean)"),
        ),
        migrations.AddField(
            model_name='statusupdate',
            name='changes',
            field=models.JSONField(blank=True, default=list, verbose_name='changed fields'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='cadence_days',
            field=models.PositiveSmallIntegerField(default=14, help_text='Days between follow-ups.', verbose_name='follow-up every (days)'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='co_owners',
            field=models.ManyToManyField(blank=True, related_name='co_owned_items', to=settings.AUTH_USER_MODEL, verbose_name='co-owners'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='created'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='due_date',
            field=models.DateField(blank=True, null=True, verbose_name='due date'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='excerpt',
            field=models.TextField(help_text='Short verbatim excerpt of the report.', verbose_name='excerpt'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='key',
            field=models.SlugField(help_text='Lowercase letters, digits and hyphens; a reload of the report matches on it.', max_length=80, unique=True, verbose_name='key'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='last_update_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='last update'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='lead_organization',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='led_items', to='tracker.organization', verbose_name='lead organization'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='marking',
            field=models.CharField(choices=[('all', 'Releasable to all'), ('us-only', 'U.S. only'), ('kr-only', 'ROK only'), ('us-kr', 'U.S. and ROK')], default='all', max_length=16, verbose_name='releasability'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='next_follow_up_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='next follow-up'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='owner',
            field=models.ForeignKey(blank=True, help_text='The one accountable owner.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='owned_items', to=settings.AUTH_USER_MODEL, verbose_name='owner'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='paragraph',
            field=models.PositiveSmallIntegerField(help_text='Paragraph of the report.', verbose_name='paragraph'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='partner_organizations',
            field=models.ManyToManyField(blank=True, related_name='partner_items', to='tracker.organization', verbose_name='partners'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='priority',
            field=models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High'), ('critical', 'Critical')], default='medium', max_length=16, verbose_name='priority'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='snoozed_until',
            field=models.DateTimeField(blank=True, null=True, verbose_name='snoozed until'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='source',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='items', to='tracker.source', verbose_name='report'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='source_date',
            field=models.DateField(editable=False, verbose_name='report date'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='status',
            field=models.CharField(choices=[('not_started', 'Not started'), ('in_progress', 'In progress'), ('blocked', 'Blocked'), ('implemented', 'Implemented'), ('closed_not_implemented', 'Closed, not implemented'), ('superseded', 'Superseded')], default='not_started', max_length=32, verbose_name='status'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='summary_en',
            field=models.TextField(blank=True, verbose_name='summary (English)'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='summary_ko',
            field=models.TextField(blank=True, verbose_name='summary (Korean)'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='theme',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='items', to='tracker.theme', verbose_name='theme'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='title_en',
            field=models.CharField(max_length=300, verbose_name='title (English)'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='title_ko',
            field=models.CharField(blank=True, max_length=300, verbose_name='title (Korean)'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, verbose_name='last changed'),
        ),
        migrations.AlterField(
            model_name='actionitem',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name='version'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='cadence_days',
            field=models.PositiveSmallIntegerField(default=14, help_text='Days between follow-ups.', verbose_name='follow-up every (days)'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='created_at',
            field=models.DateTimeField(blank=True, editable=False, verbose_name='created'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='due_date',
            field=models.DateField(blank=True, null=True, verbose_name='due date'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='excerpt',
            field=models.TextField(help_text='Short verbatim excerpt of the report.', verbose_name='excerpt'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='key',
            field=models.SlugField(help_text='Lowercase letters, digits and hyphens; a reload of the report matches on it.', max_length=80, verbose_name='key'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='last_update_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='last update'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='lead_organization',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tracker.organization', verbose_name='lead organization'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='marking',
            field=models.CharField(choices=[('all', 'Releasable to all'), ('us-only', 'U.S. only'), ('kr-only', 'ROK only'), ('us-kr', 'U.S. and ROK')], default='all', max_length=16, verbose_name='releasability'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='next_follow_up_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='next follow-up'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='owner',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='The one accountable owner.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='owner'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='paragraph',
            field=models.PositiveSmallIntegerField(help_text='Paragraph of the report.', verbose_name='paragraph'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='priority',
            field=models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High'), ('critical', 'Critical')], default='medium', max_length=16, verbose_name='priority'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='snoozed_until',
            field=models.DateTimeField(blank=True, null=True, verbose_name='snoozed until'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='source',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tracker.source', verbose_name='report'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='source_date',
            field=models.DateField(editable=False, verbose_name='report date'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='status',
            field=models.CharField(choices=[('not_started', 'Not started'), ('in_progress', 'In progress'), ('blocked', 'Blocked'), ('implemented', 'Implemented'), ('closed_not_implemented', 'Closed, not implemented'), ('superseded', 'Superseded')], default='not_started', max_length=32, verbose_name='status'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='summary_en',
            field=models.TextField(blank=True, verbose_name='summary (English)'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='summary_ko',
            field=models.TextField(blank=True, verbose_name='summary (Korean)'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='theme',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tracker.theme', verbose_name='theme'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='title_en',
            field=models.CharField(max_length=300, verbose_name='title (English)'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='title_ko',
            field=models.CharField(blank=True, max_length=300, verbose_name='title (Korean)'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='updated_at',
            field=models.DateTimeField(blank=True, editable=False, verbose_name='last changed'),
        ),
        migrations.AlterField(
            model_name='historicalactionitem',
            name='version',
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name='version'),
        ),
        migrations.AlterField(
            model_name='historicalsource',
            name='author',
            field=models.CharField(blank=True, max_length=200, verbose_name='author'),
        ),
        migrations.AlterField(
            model_name='historicalsource',
            name='citation',
            field=models.TextField(blank=True, verbose_name='citation'),
        ),
        migrations.AlterField(
            model_name='historicalsource',
            name='date',
            field=models.DateField(help_text='Publication date; no item may be due before it.', verbose_name='publication date'),
        ),
        migrations.AlterField(
            model_name='historicalsource',
            name='key',
            field=models.SlugField(help_text='Lowercase letters, digits and hyphens; a reload of the report matches on it.', max_length=80, verbose_name='key'),
        ),
        migrations.AlterField(
            model_name='historicalsource',
            name='publisher',
            field=models.CharField(blank=True, max_length=200, verbose_name='publisher'),
        ),
        migrations.AlterField(
            model_name='historicalsource',
            name='title_en',
            field=models.CharField(max_length=300, verbose_name='title (English)'),
        ),
        migrations.AlterField(
            model_name='historicalsource',
            name='title_ko',
            field=models.CharField(blank=True, max_length=300, verbose_name='title (Korean)'),
        ),
        migrations.AlterField(
            model_name='historicalsource',
            name='url',
            field=models.URLField(blank=True, verbose_name='address (URL)'),
        ),
        migrations.AlterField(
            model_name='organization',
            name='coordinator',
            field=models.ForeignKey(blank=True, help_text="Receives escalation copies for this organization's overdue items.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='coordinated_organizations', to=settings.AUTH_USER_MODEL, verbose_name='coordinator'),
        ),
        migrations.AlterField(
            model_name='organization',
            name='country',
            field=models.CharField(choices=[('US', 'United States'), ('KR', 'Republic of Korea'), ('JOINT', 'Joint (U.S.-ROK)')], max_length=5, verbose_name='country'),
        ),
        migrations.AlterField(
            model_name='organization',
            name='key',
            field=models.SlugField(help_text='Lowercase letters, digits and hyphens; a reload of the report matches on it.', max_length=80, unique=True, verbose_name='key'),
        ),
        migrations.AlterField(
            model_name='organization',
            name='name_en',
            field=models.CharField(max_length=200, verbose_name='name (English)'),
        ),
        migrations.AlterField(
            model_name='organization',
            name='name_ko',
            field=models.CharField(blank=True, max_length=200, verbose_name='name (Korean)'),
        ),
        migrations.AlterField(
            model_name='profile',
            name='calendar_token',
            field=models.CharField(default=tracker.models.new_calendar_token, max_length=64, unique=True, verbose_name='calendar feed token'),
        ),
        migrations.AlterField(
            model_name='profile',
            name='country',
            field=models.CharField(choices=[('US', 'United States'), ('KR', 'Republic of Korea'), ('JOINT', 'Joint (U.S.-ROK)')], default='US', max_length=5, verbose_name='country'),
        ),
        migrations.AlterField(
            model_name='profile',
            name='language',
            field=models.CharField(choices=[('en', 'English'), ('ko', '한국어')], default='en', max_length=2, verbose_name='language'),
        ),
        migrations.AlterField(
            model_name='profile',
            name='organization',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='members', to='tracker.organization', verbose_name='organization'),
        ),
        migrations.AlterField(
            model_name='profile',
            name='time_zone',
            field=models.CharField(default='America/New_York', help_text='An IANA name such as Asia/Seoul: pages and reminders follow it.', max_length=64, validators=[tracker.models.validate_time_zone], verbose_name='time zone'),
        ),
        migrations.AlterField(
            model_name='profile',
            name='user',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='profile', to=settings.AUTH_USER_MODEL, verbose_name='user'),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='attempts'),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='claimed_at',
            field=models.DateTimeField(blank=True, help_text='When a worker last took it to send.', null=True, verbose_name='claimed'),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='created_at',
            field=models.DateTimeField(verbose_name='created'),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='give_up_after',
            field=models.PositiveSmallIntegerField(default=8, help_text='Mark failed once attempts reach this number.', verbose_name='give up after'),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='items',
            field=models.ManyToManyField(related_name='reminders', through='tracker.ReminderItem', to='tracker.actionitem', verbose_name='items'),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='last_attempt_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='last attempt'),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='last_error',
            field=models.TextField(blank=True, verbose_name='last error'),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='local_date',
            field=models.DateField(help_text="The recipient's local day this digest is for.", verbose_name='local date'),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='message_id',
            field=models.CharField(blank=True, max_length=255, verbose_name='message ID'),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='next_attempt_at',
            field=models.DateTimeField(blank=True, help_text='When the next send is due (after a retry).', null=True, verbose_name='next attempt'),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='recipient',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to=settings.AUTH_USER_MODEL, verbose_name='recipient'),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='send_before',
            field=models.DateTimeField(blank=True, help_text="End of the recipient's morning window; empty for a digest sent by hand.", null=True, verbose_name='send before'),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='sent_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='sent'),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='state',
            field=models.CharField(choices=[('pending', 'Pending'), ('sent', 'Sent'), ('failed', 'Failed'), ('skipped', 'Skipped (nothing left to send)')], default='pending', max_length=16, verbose_name='state'),
        ),
        migrations.AlterField(
            model_name='reminderitem',
            name='item',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminder_entries', to='tracker.actionitem', verbose_name='action item'),
        ),
        migrations.AlterField(
            model_name='reminderitem',
            name='kind',
            field=models.CharField(choices=[('overdue', 'Overdue'), ('due_soon', 'Due soon'), ('follow_up', 'Follow-up'), ('escalation', 'Escalation')], max_length=16, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='reminderitem',
            name='reminder',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='entries', to='tracker.reminder', verbose_name='digest'),
        ),
        migrations.AlterField(
            model_name='source',
            name='author',
            field=models.CharField(blank=True, max_length=200, verbose_name='author'),
        ),
        migrations.AlterField(
            model_name='source',
            name='citation',
            field=models.TextField(blank=True, verbose_name='citation'),
        ),
        migrations.AlterField(
            model_name='source',
            name='date',
            field=models.DateField(help_text='Publication date; no item may be due before it.', verbose_name='publication date'),
        ),
        migrations.AlterField(
            model_name='source',
            name='key',
            field=models.SlugField(help_text='Lowercase letters, digits and hyphens; a reload of the report matches on it.', max_length=80, unique=True, verbose_name='key'),
        ),
        migrations.AlterField(
            model_name='source',
            name='publisher',
            field=models.CharField(blank=True, max_length=200, verbose_name='publisher'),
        ),
        migrations.AlterField(
            model_name='source',
            name='title_en',
            field=models.CharField(max_length=300, verbose_name='title (English)'),
        ),
        migrations.AlterField(
            model_name='source',
            name='title_ko',
            field=models.CharField(blank=True, max_length=300, verbose_name='title (Korean)'),
        ),
        migrations.AlterField(
            model_name='source',
            name='url',
            field=models.URLField(blank=True, verbose_name='address (URL)'),
        ),
        migrations.AlterField(
            model_name='statusupdate',
            name='author',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='author'),
        ),
        migrations.AlterField(
            model_name='statusupdate',
            name='created_at',
            field=models.DateTimeField(verbose_name='when'),
        ),
        migrations.AlterField(
            model_name='statusupdate',
            name='from_status',
            field=models.CharField(choices=[('not_started', 'Not started'), ('in_progress', 'In progress'), ('blocked', 'Blocked'), ('implemented', 'Implemented'), ('closed_not_implemented', 'Closed, not implemented'), ('superseded', 'Superseded')], max_length=32, verbose_name='status before'),
        ),
        migrations.AlterField(
            model_name='statusupdate',
            name='item',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='updates', to='tracker.actionitem', verbose_name='action item'),
        ),
        migrations.AlterField(
            model_name='statusupdate',
            name='kind',
            field=models.CharField(choices=[('status', 'Status change'), ('note', 'Progress update'), ('on_track', 'Still on track'), ('snooze', 'Snoozed'), ('reassign', 'Owner changed'), ('due_date', 'Due date moved'), ('edit', 'Details changed'), ('import', 'Changed by an import'), ('seed', 'Changed by a report reload')], default='note', max_length=16, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='statusupdate',
            name='note',
            field=models.TextField(blank=True, verbose_name='note'),
        ),
        migrations.AlterField(
            model_name='statusupdate',
            name='to_status',
            field=models.CharField(choices=[('not_started', 'Not started'), ('in_progress', 'In progress'), ('blocked', 'Blocked'), ('implemented', 'Implemented'), ('closed_not_implemented', 'Closed, not implemented'), ('superseded', 'Superseded')], max_length=32, verbose_name='status after'),
        ),
        migrations.AlterField(
            model_name='sweeprun',
            name='claimed',
            field=models.PositiveIntegerField(default=0, verbose_name='digests claimed'),
        ),
        migrations.AlterField(
            model_name='sweeprun',
            name='finished_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='finished'),
        ),
        migrations.AlterField(
            model_name='sweeprun',
            name='requeued',
            field=models.PositiveIntegerField(default=0, verbose_name='digests queued again'),
        ),
        migrations.AlterField(
            model_name='sweeprun',
            name='started_at',
            field=models.DateTimeField(verbose_name='started'),
        ),
        migrations.AlterField(
            model_name='theme',
            name='key',
            field=models.SlugField(help_text='Lowercase letters, digits and hyphens; a reload of the report matches on it.', max_length=80, verbose_name='key'),
        ),
        migrations.AlterField(
            model_name='theme',
            name='order',
            field=models.PositiveSmallIntegerField(default=0, help_text='Position of the theme in the report.', verbose_name='order'),
        ),
        migrations.AlterField(
            model_name='theme',
            name='source',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='themes', to='tracker.source', verbose_name='report'),
        ),
        migrations.AlterField(
            model_name='theme',
            name='title_en',
            field=models.CharField(max_length=200, verbose_name='title (English)'),
        ),
        migrations.AlterField(
            model_name='theme',
            name='title_ko',
            field=models.CharField(blank=True, max_length=200, verbose_name='title (Korean)'),
        ),
        migrations.AlterField(
            model_name='usedlink',
            name='action',
            field=models.CharField(max_length=16, verbose_name='action'),
        ),
        migrations.AlterField(
            model_name='usedlink',
            name='item',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='used_links', to='tracker.actionitem', verbose_name='action item'),
        ),
        migrations.AlterField(
            model_name='usedlink',
            name='recipient',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='used_links', to=settings.AUTH_USER_MODEL, verbose_name='recipient'),
        ),
        migrations.AlterField(
            model_name='usedlink',
            name='token_hash',
            field=models.CharField(max_length=64, unique=True, verbose_name='token hash'),
        ),
        migrations.AlterField(
            model_name='usedlink',
            name='used_at',
            field=models.DateTimeField(verbose_name='used'),
        ),
    ]
