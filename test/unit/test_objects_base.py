"""Tests of ganeti.objects_base: ConfigObject, TaggableObject, FillDict."""

import copy
import pickle

import pytest
from hypothesis import given, strategies as st

from ganeti import constants
from ganeti import errors
from ganeti import objects
from ganeti.objects_base import ConfigObject, TaggableObject, FillDict


class _Thing(ConfigObject):
  __slots__ = ["alpha", "beta", "child", "kids", "table"]


class _Tagged(TaggableObject):
  __slots__ = ["name"]


class _MoreThing(_Thing):
  __slots__ = ["gamma"]


# FillDict

def test_fill_dict_custom_wins_and_defaults_untouched():
  defaults = {"a": 1, "b": {"x": 1}}
  result = FillDict(defaults, {"a": 2, "c": 3})
  assert result == {"a": 2, "b": {"x": 1}, "c": 3}
  result["b"]["x"] = 99
  assert defaults == {"a": 1, "b": {"x": 1}}


def test_fill_dict_skip_keys_removes_from_both_sides():
  result = FillDict({"a": 1, "b": 2}, {"b": 3, "c": 4}, skip_keys=["b", "z"])
  assert result == {"a": 1, "c": 4}


def test_fill_dict_none_custom_is_empty():
  assert FillDict({"a": 1}, None) == {"a": 1}


@pytest.mark.parametrize("defaults, custom, which", [
  (None, {}, "defaults"),
  ([], {}, "defaults"),
  ({}, "abc", "custom"),
  ({}, [("a", 1)], "custom"),
  ])
def test_fill_dict_refuses_non_dicts(defaults, custom, which):
  with pytest.raises(errors.ProgrammerError, match="the %s must be a dict" %
                     which):
    FillDict(defaults, custom)


@given(st.dictionaries(st.text(max_size=5), st.integers()),
       st.dictionaries(st.text(max_size=5), st.integers()))
def test_fill_dict_property(defaults, custom):
  result = FillDict(defaults, custom)
  assert set(result) == set(defaults) | set(custom)
  for key, value in result.items():
    assert value == (custom[key] if key in custom else defaults[key])


# ConfigObject

def test_unset_slot_reads_none_and_unknown_attribute_raises():
  obj = _Thing(alpha=1)
  assert obj.alpha == 1
  assert obj.beta is None
  with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
    getattr(obj, "nonsense")


def test_init_refuses_unknown_attribute():
  with pytest.raises(errors.ProgrammerError, match="_Thing has no attribute"
                     " 'bogus'"):
    _Thing(bogus=1)


def test_slots_are_inherited():
  assert _MoreThing.GetAllSlots() == frozenset(["alpha", "beta", "child",
                                                "kids", "table", "gamma"])
  obj = _MoreThing(alpha=1, gamma=2)
  assert obj.ToDict() == {"alpha": 1, "gamma": 2}


def test_to_dict_keys_follow_declaration_order():
  obj = _MoreThing(gamma=1, table={}, alpha=2)
  assert list(obj.ToDict()) == ["alpha", "table", "gamma"]
  node = objects.Node(uuid="u", tags={"t"}, name="n")
  assert list(node.ToDict()) == ["tags", "name", "uuid"]


def test_to_dict_is_deep_and_skips_none():
  inner = _Thing(alpha="in")
  obj = _Thing(alpha=(1, 2), beta=None, child=inner,
               kids=[_Thing(alpha=1), _Thing(beta=2)],
               table={"k": _Thing(alpha=3), "s": {3, 1, 2}})
  assert obj.ToDict() == {
    "alpha": [1, 2],
    "child": {"alpha": "in"},
    "kids": [{"alpha": 1}, {"beta": 2}],
    "table": {"k": {"alpha": 3}, "s": [1, 2, 3]},
    }


def test_to_dict_does_not_share_containers():
  obj = _Thing(table={"a": [1]})
  data = obj.ToDict()
  data["table"]["a"].append(2)
  assert obj.table == {"a": [1]}


def test_to_dict_unsortable_set_becomes_list():
  obj = _Thing(alpha={1, "a"})
  assert sorted(obj.ToDict()["alpha"], key=str) == [1, "a"]


@pytest.mark.parametrize("garbage", [None, 1, "text", ["alpha", 1],
                                     ("alpha", 1)])
def test_from_dict_refuses_non_dicts(garbage):
  with pytest.raises(errors.ConfigurationError, match="Cannot build _Thing"
                     " from .*expected a dict"):
    _Thing.FromDict(garbage)


def test_from_dict_refuses_unknown_keys():
  with pytest.raises(errors.ConfigurationError,
                     match="Unknown attribute 'zeta' in _Thing data"):
    _Thing.FromDict({"alpha": 1, "zeta": 2})


def test_from_dict_refuses_non_string_keys():
  with pytest.raises(errors.ConfigurationError, match="Unknown attribute 5"):
    _Thing.FromDict({5: 1})


def test_copy_is_deep():
  obj = _Thing(alpha={"x": [1, 2]})
  clone = obj.Copy()
  assert clone == obj and clone is not obj
  clone.alpha["x"].append(3)
  assert obj.alpha == {"x": [1, 2]}


def test_equality_and_repr():
  assert _Thing(alpha=1) == _Thing(alpha=1)
  assert _Thing(alpha=1) != _Thing(alpha=2)
  assert _Thing(alpha=1) != _MoreThing(alpha=1)
  assert _Thing(alpha=1) != {"alpha": 1}
  assert _Thing(alpha=1, beta=None) == _Thing(alpha=1)
  assert repr(_Thing(alpha=1)) == "_Thing({'alpha': 1})"
  with pytest.raises(TypeError):
    hash(_Thing())


def test_upgrade_config_base_changes_nothing():
  obj = _Thing(alpha=1)
  obj.UpgradeConfig()
  assert obj.ToDict() == {"alpha": 1}


def test_pickle_and_deepcopy_keep_content():
  node = objects.Node(name="node1", offline=False, tags={"a"})
  assert pickle.loads(pickle.dumps(node)) == node
  assert copy.deepcopy(node) == node


# TaggableObject

def test_tags_add_get_remove():
  obj = _Tagged()
  assert obj.GetTags() == set()
  obj.AddTag("web:front/1")
  obj.AddTag("a.b+c*d@e-f_g")
  obj.AddTag("web:front/1")
  assert obj.GetTags() == {"web:front/1", "a.b+c*d@e-f_g"}
  obj.RemoveTag("web:front/1")
  assert obj.GetTags() == {"a.b+c*d@e-f_g"}
  assert obj.ToDict()["tags"] == ["a.b+c*d@e-f_g"]


def test_tags_are_sorted_in_dict_and_set_after_load():
  obj = _Tagged(tags={"b", "a", "c"})
  data = obj.ToDict()
  assert data["tags"] == ["a", "b", "c"]
  loaded = _Tagged.FromDict(data)
  assert loaded.tags == {"a", "b", "c"}


@pytest.mark.parametrize("tag, message", [
  ("", "cannot be empty"),
  ("x" * (constants.MAX_TAG_LEN + 1), "too long"),
  ("with space", "invalid characters"),
  ("semi;colon", "invalid characters"),
  ("caf\u00e9", "invalid characters"),
  (5, "must be strings"),
  (None, "must be strings"),
  ])
def test_tag_validation(tag, message):
  obj = _Tagged()
  with pytest.raises(errors.TagError, match=message):
    obj.AddTag(tag)
  assert obj.GetTags() == set()


def test_tag_of_maximum_length_is_fine():
  obj = _Tagged()
  obj.AddTag("x" * constants.MAX_TAG_LEN)
  assert len(obj.GetTags()) == 1


def test_too_many_tags():
  obj = _Tagged(tags=set("t%d" % i for i in range(constants.MAX_TAGS_PER_OBJ)))
  with pytest.raises(errors.TagError, match="Too many tags on _Tagged"):
    obj.AddTag("onemore")
  # Re-adding an existing tag is not a new tag
  obj.AddTag("t0")


def test_remove_missing_tag():
  with pytest.raises(errors.TagError, match="Tag 'nope' not found"):
    _Tagged().RemoveTag("nope")
  with pytest.raises(errors.TagError, match="invalid characters"):
    _Tagged().RemoveTag("bad tag")


def test_tags_from_dict_must_be_a_list():
  with pytest.raises(errors.ConfigurationError, match="tags must be a list"):
    _Tagged.FromDict({"tags": "abc"})


@given(st.from_regex(r"\A[A-Za-z0-9_.+*/:@-]{1,128}\Z"))
def test_valid_tags_property(tag):
  obj = _Tagged()
  obj.AddTag(tag)
  assert tag in obj.GetTags()
