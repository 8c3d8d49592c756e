from django import template

register = template.Library()


@register.filter
def end_sentence(value: str) -> str:
    """Add a full stop unless the text already ends in . ? or ! ("et al." stays "et al.")."""
    text = (value or "").rstrip()
    return text if not text or text[-1] in ".?!" else f"{text}."
