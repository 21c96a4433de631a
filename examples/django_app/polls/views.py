from __future__ import annotations

from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from polls.models import Choice, Question


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    questions = Question.objects.prefetch_related("choices")[:20]
    return render(request, "polls/index.html", {"questions": questions})


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(Question, pk=pk)
    return render(request, "polls/detail.html", {"question": question})


@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(Question, pk=pk)
    try:
        choice = question.choices.get(pk=request.POST["choice"])
    except (KeyError, ValueError, Choice.DoesNotExist):
        return render(request, "polls/detail.html", {"question": question, "error": "Pick a choice."}, status=400)
    # F() makes the increment atomic in the database: two votes at once both count.
    Choice.objects.filter(pk=choice.pk).update(votes=F("votes") + 1)
    return redirect("polls:detail", pk=question.pk)


@require_GET
def api_questions(request: HttpRequest) -> JsonResponse:
    questions = Question.objects.prefetch_related("choices")[:100]
    data = [
        {
            "id": q.pk,
            "text": q.text,
            "published": q.published.isoformat(),
            "choices": [{"id": c.pk, "text": c.text, "votes": c.votes} for c in q.choices.all()],
        }
        for q in questions
    ]
    return JsonResponse({"questions": data})
