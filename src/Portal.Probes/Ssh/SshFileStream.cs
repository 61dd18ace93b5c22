using Portal.Probes.Probes.Host;

namespace Portal.Probes.Ssh;

/// <summary>
/// A read-only, seekable view of a remote file as it was when opened (its length then). Reading
/// streams bytes from one remote <c>tail -c +N | head -c M</c>; a seek stops that reader and the
/// next read starts another at the new position. Nothing is read ahead of what the caller asks for
/// beyond the channel's window.
/// </summary>
internal sealed class SshFileStream(SshConnection connection, string path, long length) : Stream
{
    private RemoteProcess? _reader;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= length || buffer.Length == 0)
        {
            return 0;
        }

        _reader ??= await connection.StartAsync(RemoteCommands.Range(path, _position, length - _position), printsPid: false, cancellationToken);
        var read = await _reader.Output.ReadAsync(buffer, cancellationToken);
        _position += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };
        if (target < 0)
        {
            throw new IOException("Seek before the start of the file.");
        }

        if (target != _position)
        {
            StopReader();
            _position = target;
        }

        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            StopReader();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_reader is { } reader)
        {
            _reader = null;
            await reader.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    private void StopReader()
    {
        if (_reader is { } reader)
        {
            _reader = null;
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
