"""Demo data loaded by `dualtrack seed-demo` (and by `dualtrack run` on first start)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from dualtrack.bootstrap import Container
from services.common.identity import CommandContext

ENTERPRISES = [
    ("Haier Smart Home", "91370200163562681G", [
        ("Qingdao Appliance Training Centre", "1 Haier Road, Laoshan, Qingdao", 12, ["mechatronics", "industrial-robotics"]),
        ("Hefei Refrigeration Workshop", "88 Jinxiu Avenue, Hefei", 8, ["refrigeration", "mechatronics"]),
    ]),
    ("CRRC Qingdao Sifang", "913702007180260384", [
        ("High-Speed Train Maintenance Base", "88 Jinhongdong Road, Chengyang, Qingdao", 20, ["rail-maintenance", "welding"]),
    ]),
    ("Shenzhen Mindray Bio-Medical", "91440300736272532A", [
        ("Medical Devices Assembly Line", "Mindray Building, Nanshan, Shenzhen", 10, ["biomedical-engineering", "electronics"]),
        ("Service Engineering Lab", "Guangming Science Park, Shenzhen", 6, ["electronics"]),
    ]),
]

MENTORS = [("mentor-wang", "Wang Fang"), ("mentor-li", "Li Wei"), ("mentor-zhao", "Zhao Min")]


@dataclass(frozen=True)
class DemoIds:
    enterprises: list[str]
    centres: list[str]


def seed_demo(container: Container) -> DemoIds:
    """Register three enterprises with their centres and mentors; change a capacity; close one centre."""
    app = container.placements
    ctx = CommandContext.for_system("demo-loader")
    enterprise_ids, centre_ids = [], []
    for name, number, centres in ENTERPRISES:
        enterprise = app.register_enterprise(ctx, name=name, registration_number=number)
        enterprise_ids.append(str(enterprise.id))
        for centre_name, address, capacity, specialities in centres:
            centre = app.open_centre(
                ctx, enterprise_id=enterprise.id, name=centre_name, address=address,
                capacity=capacity, specialities=specialities,
            )
            centre_ids.append(str(centre.id))
    for (mentor_id, mentor_name), centre_id in zip(MENTORS, centre_ids):
        app.assign_mentor(ctx, UUID(centre_id), mentor_id=mentor_id, name=mentor_name)
    app.change_centre_capacity(ctx, UUID(centre_ids[0]), capacity=15, reason="second assembly hall opened")
    app.close_centre(ctx, UUID(centre_ids[-1]), reason="lab merged into the Medical Devices Assembly Line")
    return DemoIds(enterprise_ids, centre_ids)
