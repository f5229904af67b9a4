"""K2Native's demo-model recipe (docs/demo-model.md): synthetic tool-use conversations, K2's chat template, training."""
