using System.Text;
using System.Text.RegularExpressions;

namespace Portal.Probes.Probes.Host;

/// <summary>One run of matching lines with their context, like a grep -B/-A group.</summary>
internal sealed record MatchBlock(IReadOnlyList<(long Line, string Text, bool IsMatch)> Lines);

/// <summary>
/// Feeds lines through a pattern, keeping grep-style context groups. Only the last
/// <c>keep</c> groups are held (the newest matter most in a log); every match is counted.
/// </summary>
internal sealed class LogScanner(Regex pattern, int before, int after, int keep)
{
    public const int DisplayLimit = 500;

    private readonly Queue<(long Line, string Text)> _before = new();
    private readonly Queue<MatchBlock> _blocks = new();
    private List<(long Line, string Text, bool IsMatch)>? _open;
    private int _afterLeft;

    public long Matches { get; private set; }

    public (long Line, string Text)? LastMatch { get; private set; }

    public IEnumerable<MatchBlock> Blocks => _blocks;

    /// <summary>Total blocks dropped because only the last ones are kept.</summary>
    public long DroppedBlocks { get; private set; }

    /// <exception cref="RegexMatchTimeoutException">The pattern took too long on this line.</exception>
    public bool Feed(long line, string text)
    {
        var shown = text.Length <= DisplayLimit ? text : text[..DisplayLimit] + "…";
        var isMatch = pattern.IsMatch(text);
        if (isMatch)
        {
            Matches++;
            LastMatch = (line, shown);
            if (_open is null)
            {
                _open = [.. _before.Select(b => (b.Line, b.Text, false))];
            }

            _open.Add((line, shown, true));
            _afterLeft = after;
            _before.Clear();
        }
        else if (_open is not null && _afterLeft > 0)
        {
            _open.Add((line, shown, false));
            _afterLeft--;
        }
        else
        {
            Close();
            if (before > 0)
            {
                _before.Enqueue((line, shown));
                if (_before.Count > before)
                {
                    _before.Dequeue();
                }
            }
        }

        if (_open is not null && _afterLeft == 0 && !isMatch)
        {
            Close();
        }

        return isMatch;
    }

    public void Close()
    {
        if (_open is null)
        {
            return;
        }

        _blocks.Enqueue(new MatchBlock(_open));
        _open = null;
        if (_blocks.Count > keep)
        {
            _blocks.Dequeue();
            DroppedBlocks++;
        }
    }

    /// <summary>
    /// Reads complete lines from <paramref name="stream"/> (positioned where reading starts), without
    /// building huge strings: a line longer than <paramref name="maxLine"/> bytes is cut there.
    /// </summary>
    /// <returns>How many bytes were consumed (up to and including the last newline).</returns>
    public static async Task<long> ReadLinesAsync(Stream stream, long limit, Action<string> onLine, int maxLine, CancellationToken ct)
    {
        var buffer = new byte[1 << 20];
        var line = new MemoryStream();
        var truncated = false;
        long consumed = 0;
        long read = 0;
        while (read < limit)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit - read)), ct);
            if (n == 0)
            {
                break;
            }

            var start = 0;
            for (var i = 0; i < n; i++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    continue;
                }

                Append(line, buffer.AsSpan(start, i - start), maxLine, ref truncated);
                onLine(Decode(line));
                line.SetLength(0);
                truncated = false;
                consumed = read + i + 1;
                start = i + 1;
            }

            Append(line, buffer.AsSpan(start, n - start), maxLine, ref truncated);
            read += n;
        }

        return consumed;
    }

    private static void Append(MemoryStream line, ReadOnlySpan<byte> bytes, int maxLine, ref bool truncated)
    {
        var room = maxLine - (int)line.Length;
        if (room > 0)
        {
            line.Write(bytes[..Math.Min(room, bytes.Length)]);
        }

        truncated |= bytes.Length > room;
    }

    private static string Decode(MemoryStream line)
    {
        var span = line.GetBuffer().AsSpan(0, (int)line.Length);
        if (span.Length > 0 && span[^1] == (byte)'\r')
        {
            span = span[..^1];
        }

        return Encoding.UTF8.GetString(span);
    }
}
