"""A new session's state (gradio's SessionState) is built lazily by core.ui, and holds what gradio's own,
eager one holds."""

from __future__ import annotations


def test_a_new_sessions_block_configs_equal_gradios_eager_ones(app):
    from gradio.state_holder import SessionState

    demo = app.demo
    config = demo.default_config
    eager = {k: config.config_for_block(k, [], v) for k, v in config.blocks.items() if k in demo.blocks}
    state = SessionState(demo)
    assert type(state.config_values).__name__ == "_LazyConfigs"  # the app's SessionState, not gradio's
    some = next(iter(eager))
    assert some in state.config_values and state.config_values[some] == eager[some]
    assert len(state.config_values) == len(eager)
    assert dict(state.config_values.items()) == eager
    assert list(state.components) == [c for c in eager.values() if c]


def test_a_sessions_update_replaces_its_config(app):
    import gradio as gr
    from gradio.state_holder import SessionState

    demo = app.demo
    state = SessionState(demo)
    key, block = next((k, b) for k, b in demo.blocks.items() if isinstance(b, gr.Textbox))
    state._update_value_in_config(key, "changed")  # what gradio does when an event updates a value
    assert state.config_values[key]["props"]["value"] == "changed"
    fresh = SessionState(demo)
    assert fresh.config_values[key]["props"].get("value") != "changed"  # other sessions keep the page's
    assert state.get(key) is block and key in state
