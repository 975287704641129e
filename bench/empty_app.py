"""The harness's own cost in an instruction count (bench/instructions.py): a handler module that imports
nothing and answers nothing, run through bench/first_child.py like the product and the floor."""


def handler(event: object, context: object) -> dict[str, int]:
    return {"statusCode": 200}
