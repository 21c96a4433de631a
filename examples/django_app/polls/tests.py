from __future__ import annotations

from unittest import mock

from django.db import OperationalError
from django.test import TestCase, override_settings
from django.urls import reverse

from polls.models import Choice, Question

# The image collects static files at build time; tests render templates without that manifest.
PLAIN_STATIC = override_settings(
    STORAGES={
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
)


@PLAIN_STATIC
class PollsTests(TestCase):
    def setUp(self) -> None:
        # Requests arrive over HTTPS, as the gateway forwards them (the redirect is tested below).
        self.client.defaults["wsgi.url_scheme"] = "https"
        self.client.defaults["HTTP_X_FORWARDED_PROTO"] = "https"
        self.question = Question.objects.create(text="Which database?")
        self.postgres = Choice.objects.create(question=self.question, text="PostgreSQL")
        Choice.objects.create(question=self.question, text="SQLite")

    def test_index_lists_questions(self) -> None:
        response = self.client.get(reverse("polls:index"))
        self.assertContains(response, "Which database?")

    def test_vote_counts_once_and_redirects(self) -> None:
        response = self.client.post(reverse("polls:vote", args=[self.question.pk]), {"choice": self.postgres.pk})
        self.assertRedirects(response, reverse("polls:detail", args=[self.question.pk]))
        self.postgres.refresh_from_db()
        self.assertEqual(self.postgres.votes, 1)

    def test_vote_without_choice_is_a_400(self) -> None:
        response = self.client.post(reverse("polls:vote", args=[self.question.pk]), {})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Pick a choice.", status_code=400)

    def test_vote_needs_csrf_token(self) -> None:
        client = self.client_class(enforce_csrf_checks=True, HTTP_X_FORWARDED_PROTO="https")
        response = client.post(reverse("polls:vote", args=[self.question.pk]), {"choice": self.postgres.pk})
        self.assertEqual(response.status_code, 403)

    def test_json_api(self) -> None:
        Choice.objects.filter(pk=self.postgres.pk).update(votes=3)
        data = self.client.get(reverse("polls:api-questions")).json()
        [question] = data["questions"]
        self.assertEqual(question["text"], "Which database?")
        self.assertEqual({c["text"]: c["votes"] for c in question["choices"]}, {"PostgreSQL": 3, "SQLite": 0})

    def test_recently_published(self) -> None:
        self.assertTrue(self.question.was_published_recently())


@PLAIN_STATIC
class HealthTests(TestCase):
    @override_settings(ALLOWED_HOSTS=["polls.example.com"], SECURE_SSL_REDIRECT=True)
    def test_probes_work_by_pod_ip_over_http(self) -> None:
        for path in ("/healthz", "/readyz"):
            response = self.client.get(path, HTTP_HOST="10.224.0.17:8000")
            self.assertEqual(response.status_code, 200, path)
            self.assertEqual(response.json()["status"], "ok")

    def test_readyz_fails_without_database_but_healthz_does_not(self) -> None:
        with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.cursor", side_effect=OperationalError("down")):
            self.assertEqual(self.client.get("/readyz").status_code, 503)
            self.assertEqual(self.client.get("/healthz").status_code, 200)

    @override_settings(SECURE_SSL_REDIRECT=True)
    def test_https_is_recognised_behind_the_gateway(self) -> None:
        plain = self.client.get(reverse("polls:index"))
        self.assertEqual(plain.status_code, 301)
        forwarded = self.client.get(reverse("polls:index"), HTTP_X_FORWARDED_PROTO="https")
        self.assertEqual(forwarded.status_code, 200)
