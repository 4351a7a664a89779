// Discord vocabulary: filled by issue 3.
