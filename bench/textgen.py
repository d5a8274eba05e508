"""Generated shop reviews of realistic length for the benchmarks (not imported by repcli).

Real reviews average ~215 characters (39 words) with a long tail; texts here are sentences
drawn from a pool of Russian, Ukrainian and English review phrases, joined until a length drawn
from a log-normal around that mean is reached (median ~150, mean ~215, 20..1200 characters).
"""

from __future__ import annotations

import math
import random

NEGATIVE = [
    "Пришла мятая коробка, внутри всё перевёрнуто",
    "Сломалось через неделю использования, гарантия не помогла",
    "Не рекомендую этот товар никому",
    "Курьер опоздал на три дня и даже не позвонил",
    "Качество ужасное, нитки торчат во все стороны",
    "Размер не соответствует таблице, пришлось возвращать",
    "Продавец не отвечает на сообщения уже неделю",
    "Запах химии такой, что невозможно находиться в комнате",
    "Розмір не підійшов, а повернення оформити неможливо",
    "Якість жахлива, розвалилося після першого прання",
    "Arrived broken and the seller ignored my messages",
    "Cheap material, the zipper fell off on day two",
    "Цвет совсем не как на фото, тусклый и блёклый",
    "Деньги за возврат так и не вернули",
]
POSITIVE = [
    "Отличное качество, всё как в описании",
    "Всё понравилось, спасибо продавцу за быструю отправку",
    "Быстрая доставка, упаковано аккуратно",
    "Рекомендую, брала уже второй раз",
    "Удобно и красиво, сидит идеально по размеру",
    "Ткань приятная к телу, после стирки не села",
    "Чудова якість, доставка швидка, дякую",
    "Great value for the price, would buy again",
    "Fits perfectly and looks even better than the photos",
    "Муж доволен, носит каждый день",
    "Цена полностью оправдана, качество на уровне",
    "Пришло раньше срока, всё целое",
]
NEUTRAL = [
    "Заказывала на подарок",
    "Брала размер M при росте 170",
    "Ношу около месяца",
    "Сравнивала с похожими моделями в магазине",
    "Доставка заняла пять дней",
    "Used it for a couple of weeks now",
]


def length(rng: random.Random) -> int:
    """A review length: log-normal, mean ~215 characters."""
    return max(20, min(1200, int(rng.lognormvariate(math.log(140), 0.75))))


def review(rng: random.Random, rating: int) -> str:
    pool = NEGATIVE if rating <= 2 else POSITIVE if rating >= 4 else NEGATIVE + POSITIVE
    want = length(rng)
    parts: list[str] = []
    size = 0
    while size < want:
        phrase = rng.choice(pool if rng.random() < 0.8 else NEUTRAL)
        parts.append(phrase)
        size += len(phrase) + 2
    return ". ".join(parts) + "."


def rating(rng: random.Random) -> int:
    return rng.choice((1, 2, 3, 4, 5, 5, 5, 4))
