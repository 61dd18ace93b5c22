using System.Globalization;

namespace Portal.Lab.Platform;

/// <summary>
/// The platform's log file in the format of its Python logging (asctime - name - levelname - message):
/// "2026-01-05 10:00:00,123 - platform-api - INFO - register component fine-tuning-service at …: ok".
/// The guide greps it for "register" and "workflow_{id}".
/// </summary>
public sealed class PlatformLog(LabOptions options)
{
    private readonly Lock _gate = new();

    public void Info(string message) => Write("INFO", message);

    public void Error(string message) => Write("ERROR", message);

    private void Write(string level, string message)
    {
        if (string.IsNullOrEmpty(options.LogPath))
        {
            return;
        }

        var line = $"{DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture)} - {options.Role} - {level} - {message}\n";
        lock (_gate)
        {
            File.AppendAllText(options.LogPath, line);
        }
    }
}
