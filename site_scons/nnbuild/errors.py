"""The one exception type for mistakes in the user's input."""


class UserError(Exception):
    """A problem the user can fix (bad option, missing file, unsupported model).

    The message is one paragraph naming the file, option or node, what was
    expected and what to do. SConstruct prints it without a traceback.
    keep_outputs: the step's outputs are whole and worth reading (a size report
    over budget), so the failed build keeps them.
    """

    def __init__(self, message, keep_outputs=False):
        super().__init__(message)
        self.keep_outputs = keep_outputs
