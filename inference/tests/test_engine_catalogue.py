"""The engine classes and the catalogue serving chooses from (serving/engine_catalogue.py) name the same engines,
loading the same formats."""
from inference.engines import ENGINES
from serving.engine_catalogue import DEFAULT_ORDER, ENGINE_FORMATS


def test_every_engine_class_is_in_the_catalogue_with_the_formats_it_loads():
    assert {name: tuple(cls.formats) for name, cls in ENGINES.items()} == ENGINE_FORMATS


def test_the_default_order_names_engines_that_load_the_format():
    for model_format, names in DEFAULT_ORDER.items():
        assert all(model_format in ENGINE_FORMATS[name] for name in names), model_format
