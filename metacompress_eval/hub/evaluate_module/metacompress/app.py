import evaluate, evaluate.utils
evaluate.utils.launch_gradio_widget(evaluate.load("metacompress.py", module_type="comparison"))
