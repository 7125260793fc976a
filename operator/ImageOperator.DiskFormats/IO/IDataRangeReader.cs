namespace ImageOperator.DiskFormats.IO;

/// <summary>
/// Optional capability of an <see cref="IRangeReader"/> whose storage knows where its data lies (a sparse local
/// file): readers of formats without their own map (RAW) use it to skip holes instead of reading and scanning them.
/// </summary>
public interface IDataRangeReader : IRangeReader
{
    /// <summary>
    /// Finds the first run of data at or after <paramref name="offset"/>: bytes in [<paramref name="offset"/>,
    /// <paramref name="dataStart"/>) read as zeros, [<paramref name="dataStart"/>, <paramref name="dataEnd"/>) may
    /// hold data. Both equal <see cref="IRangeReader.Length"/> when no data follows. Returns <see langword="false"/>
    /// when the storage cannot tell, in which case everything counts as data.
    /// </summary>
    bool TryFindData(long offset, out long dataStart, out long dataEnd);
}
