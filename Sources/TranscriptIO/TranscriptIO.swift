// TranscriptIO
